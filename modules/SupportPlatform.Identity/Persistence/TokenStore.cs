using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Identity.Persistence;

/// <summary>A personal API token as stored (never the token itself).</summary>
internal sealed record TokenRecord(
    string Id,
    string UserId,
    string Name,
    string Role,
    string Hint,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt);

/// <summary>API tokens (<c>sp_api_tokens</c>): keyed hashes, looked up by hash.</summary>
internal sealed class TokenStore(IDatabase database)
{
    private const string Columns = """
        t.id AS Id, t.user_id AS UserId, t.name AS Name, t.role AS Role, t.hint AS Hint, t.created_at_ms AS CreatedAtMs,
        t.expires_at_ms AS ExpiresAtMs, t.last_used_at_ms AS LastUsedAtMs, t.revoked_at_ms AS RevokedAtMs
        """;

    public async Task InsertAsync(TokenRecord token, string hash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_api_tokens (id, user_id, name, role, token_hash, hint, created_at_ms, expires_at_ms, last_used_at_ms, revoked_at_ms)
            VALUES (@Id, @UserId, @Name, @Role, @hash, @Hint, @created, @expires, NULL, NULL)
            """,
            new { token.Id, token.UserId, token.Name, token.Role, hash, token.Hint, created = token.CreatedAt.ToUnixTimeMilliseconds(), expires = token.ExpiresAt?.ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
    }

    /// <summary>The user's tokens that are not revoked, newest first.</summary>
    public async Task<IReadOnlyList<TokenRecord>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM sp_api_tokens t WHERE t.user_id = @userId AND t.revoked_at_ms IS NULL ORDER BY t.created_at_ms DESC, t.id",
            new { userId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<int> CountActiveAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM sp_api_tokens WHERE user_id = @userId AND revoked_at_ms IS NULL", new { userId }, cancellationToken: cancellationToken));
    }

    /// <summary>Revokes token <paramref name="id"/> of <paramref name="userId"/>; false when there is no such live token.</summary>
    public async Task<bool> RevokeAsync(string userId, string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_api_tokens SET revoked_at_ms = @at WHERE id = @id AND user_id = @userId AND revoked_at_ms IS NULL",
            new { id, userId, at = at.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>The token whose keyed hash is <paramref name="hash"/> (revoked and expired ones too: the caller decides).</summary>
    public async Task<TokenRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM sp_api_tokens t WHERE t.token_hash = @hash", new { hash }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    /// <summary>Writes last-used times collected in memory (one statement per token, one transaction).</summary>
    public async Task WriteLastUsedAsync(IReadOnlyCollection<KeyValuePair<string, long>> usage, CancellationToken cancellationToken)
    {
        if (usage.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_api_tokens SET last_used_at_ms = @at WHERE id = @id AND (last_used_at_ms IS NULL OR last_used_at_ms < @at)",
            usage.Select(u => new { id = u.Key, at = u.Value }).ToArray(), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string UserId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Role { get; set; } = "";
        public string Hint { get; set; } = "";
        public long CreatedAtMs { get; set; }
        public long? ExpiresAtMs { get; set; }
        public long? LastUsedAtMs { get; set; }
        public long? RevokedAtMs { get; set; }

        public TokenRecord ToRecord() => new(
            Id, UserId, Name, Role, Hint, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtMs), Time(ExpiresAtMs), Time(LastUsedAtMs), Time(RevokedAtMs));

        private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
    }
}
