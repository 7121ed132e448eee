using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Identity.Persistence;

/// <summary>One-time sign-in links (<c>sp_signin_links</c>): the keyed hash of the token, its user and expiry.</summary>
internal sealed class LinkStore(IDatabase database)
{
    public async Task InsertAsync(string hash, string userId, string purpose, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_signin_links (token_hash, user_id, purpose, created_at_ms, expires_at_ms, used_at_ms)
            VALUES (@hash, @userId, @purpose, @now, @expires, NULL)
            """,
            new { hash, userId, purpose, now = now.ToUnixTimeMilliseconds(), expires = expiresAt.ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
    }

    /// <summary>Marks the link used and returns its user, or null when it is unknown, used or expired. Exactly one caller wins.</summary>
    public async Task<string?> RedeemAsync(string hash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var at = now.ToUnixTimeMilliseconds();
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_signin_links SET used_at_ms = @at WHERE token_hash = @hash AND used_at_ms IS NULL AND expires_at_ms > @at",
            new { hash, at }, cancellationToken: cancellationToken));
        return updated != 1
            ? null
            : await connection.QuerySingleAsync<string>(new CommandDefinition(
                "SELECT user_id FROM sp_signin_links WHERE token_hash = @hash", new { hash }, cancellationToken: cancellationToken));
    }

    /// <summary>Deletes links that expired before <paramref name="before"/>; returns how many.</summary>
    public async Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sp_signin_links WHERE expires_at_ms < @before", new { before = before.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }
}
