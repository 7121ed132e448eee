using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Idempotency;

/// <summary>
/// <see cref="IIdempotencyStore"/> on <c>sp_idempotency_keys</c> with SQL shared by PostgreSQL and SQLite.
/// The claim is one <c>INSERT ... ON CONFLICT DO UPDATE ... WHERE expired RETURNING</c>: the database decides the winner
/// (PostgreSQL locks the conflicting row and re-checks the condition; SQLite serialises writers), so of concurrent claims
/// exactly one returns a row.
/// </summary>
internal sealed class IdempotencyStore(IDatabase database, TimeProvider timeProvider) : IIdempotencyStore
{
    internal const string Pending = "pending";
    internal const string Completed = "completed";

    private const string ClaimSql = """
        INSERT INTO sp_idempotency_keys (scope, key, request_hash, status, response, created_at_ms, expires_at_ms)
        VALUES (@scope, @key, @requestHash, 'pending', NULL, @now, @expiresAt)
        ON CONFLICT (scope, key) DO UPDATE
           SET request_hash = excluded.request_hash, status = 'pending', response = NULL,
               created_at_ms = excluded.created_at_ms, expires_at_ms = excluded.expires_at_ms
         WHERE sp_idempotency_keys.expires_at_ms <= @now
            OR (sp_idempotency_keys.status = 'pending' AND sp_idempotency_keys.created_at_ms <= @staleBefore
                AND sp_idempotency_keys.request_hash = excluded.request_hash)
        RETURNING expires_at_ms;
        """;

    private const string ReadSql = """
        SELECT request_hash AS RequestHash, status AS Status, response AS Response, expires_at_ms AS ExpiresAtMs, created_at_ms AS CreatedAtMs
          FROM sp_idempotency_keys
         WHERE scope = @scope AND key = @key;
        """;

    public async Task<IdempotencyClaim> TryClaimAsync(string scope, string key, string requestHash, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(requestHash);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);

        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // A few attempts: between a lost claim and the read, the record can expire or be released.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            var expiresAt = now + (long)ttl.TotalMilliseconds;
            var staleBefore = now - (long)IIdempotencyStore.PendingLease.TotalMilliseconds;
            var claimedUntil = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
                ClaimSql, new { scope, key, requestHash, now, expiresAt, staleBefore }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (claimedUntil is not null)
            {
                return new IdempotencyClaim(true, IdempotencyStatus.Pending, true, null, DateTimeOffset.FromUnixTimeMilliseconds(claimedUntil.Value), DateTimeOffset.FromUnixTimeMilliseconds(now));
            }

            var existing = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                ReadSql, new { scope, key }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (existing is null || existing.ExpiresAtMs <= now)
            {
                continue;
            }

            var status = existing.Status == Completed ? IdempotencyStatus.Completed : IdempotencyStatus.Pending;
            return new IdempotencyClaim(
                false,
                status,
                string.Equals(existing.RequestHash, requestHash, StringComparison.Ordinal),
                status == IdempotencyStatus.Completed ? existing.Response : null,
                DateTimeOffset.FromUnixTimeMilliseconds(existing.ExpiresAtMs),
                DateTimeOffset.FromUnixTimeMilliseconds(existing.CreatedAtMs));
        }

        throw new InvalidOperationException($"Could not claim idempotency key '{key}' in scope '{scope}': it kept changing concurrently.");
    }

    public async Task CompleteAsync(string scope, string key, string response, CancellationToken cancellationToken = default, DateTimeOffset? claimedAt = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_idempotency_keys SET status = 'completed', response = @response WHERE scope = @scope AND key = @key AND status = 'pending'"
            + (claimedAt is null ? ";" : " AND created_at_ms = @claimedAtMs;"),
            new { scope, key, response, claimedAtMs = claimedAt?.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (updated != 1)
        {
            throw new InvalidOperationException(claimedAt is null
                ? $"Idempotency key '{key}' in scope '{scope}' has no pending claim to complete."
                : $"Idempotency key '{key}' in scope '{scope}' has no pending claim from {claimedAt:O} to complete (a retry took it over after {IIdempotencyStore.PendingLease.TotalSeconds:0} s).");
        }
    }

    public async Task<bool> ReleaseAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sp_idempotency_keys WHERE scope = @scope AND key = @key AND status = 'pending';",
            new { scope, key }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return deleted == 1;
    }

    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sp_idempotency_keys WHERE expires_at_ms <= @now;", new { now }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private sealed record Row(string RequestHash, string Status, string? Response, long ExpiresAtMs, long CreatedAtMs);
}
