using Dapper;
using SupportPlatform.Core.Caching;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Templates.Store;

/// <summary>One saved version: <see cref="Source"/> is null for a revert to the data-folder file or shipped template.</summary>
internal sealed record TemplateVersion(string Kind, string Name, string AccountId, int Version, string? Source, string SavedBy, DateTimeOffset SavedAt);

/// <summary>
/// The versions of template overrides (table of migration 0026). Every node keeps the overrides in effect in memory,
/// valid while the cluster-wide token is unchanged (one in-memory grain call per render), and at most a minute as a
/// backstop against a writer that stopped between its write and the token change.
/// </summary>
internal sealed class TemplateStore(IDatabase database, TimeProvider clock, IGrainFactory grains)
{
    public const int MaxSourceLength = 262_144;
    private const string SelectVersions =
        "SELECT kind AS Kind, name AS Name, account_id AS AccountId, version AS Version, source AS Source, saved_by AS SavedBy, saved_at_ms AS SavedAtMs FROM sp_template_versions";
    private static readonly TimeSpan CacheBackstop = TimeSpan.FromMinutes(1);
    private volatile Snapshot? snapshot;

    private sealed record Snapshot(string Token, long ReadAt, IReadOnlyDictionary<(string Kind, string Name, string AccountId), TemplateVersion> Current);

    /// <summary>The override in effect for the key, or null.</summary>
    public async Task<TemplateVersion?> CurrentAsync(string kind, string name, string accountId, CancellationToken ct)
    {
        var current = await CurrentAllAsync(ct);
        return current.TryGetValue((kind, name, accountId), out var v) ? v : null;
    }

    /// <summary>Every override in effect (a revert is not one).</summary>
    public async Task<IReadOnlyDictionary<(string Kind, string Name, string AccountId), TemplateVersion>> CurrentAllAsync(CancellationToken ct)
    {
        var token = await grains.GetGrain<IChangeTokenGrain>("templates").Token();
        var cached = snapshot;
        if (cached is not null && cached.Token == token && clock.GetElapsedTime(cached.ReadAt) < CacheBackstop)
        {
            return cached.Current;
        }

        var readAt = clock.GetTimestamp();
        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT v.kind AS Kind, v.name AS Name, v.account_id AS AccountId, v.version AS Version, v.source AS Source, v.saved_by AS SavedBy, v.saved_at_ms AS SavedAtMs FROM sp_template_versions v
            WHERE v.version = (SELECT max(w.version) FROM sp_template_versions w WHERE w.kind = v.kind AND w.name = v.name AND w.account_id = v.account_id)
              AND v.source IS NOT NULL
            """,
            cancellationToken: ct));
        var current = rows.Select(r => r.ToVersion()).ToDictionary(v => (v.Kind, v.Name, v.AccountId));
        snapshot = new Snapshot(token, readAt, current);
        return current;
    }

    /// <summary>Every version of the key, newest first.</summary>
    public async Task<IReadOnlyList<TemplateVersion>> VersionsAsync(string kind, string name, string accountId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            SelectVersions + " WHERE kind = @kind AND name = @name AND account_id = @accountId ORDER BY version DESC",
            new { kind, name, accountId }, cancellationToken: ct));
        return [.. rows.Select(r => r.ToVersion())];
    }

    /// <summary>One version of the key, or null.</summary>
    public async Task<TemplateVersion?> VersionAsync(string kind, string name, string accountId, int version, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            SelectVersions + " WHERE kind = @kind AND name = @name AND account_id = @accountId AND version = @version",
            new { kind, name, accountId, version }, cancellationToken: ct));
        return row?.ToVersion();
    }

    /// <summary>
    /// Stores <paramref name="source"/> (null: a revert) as the next version; returns it, or null when another save of
    /// the same template took the number at the same moment (the caller says so; nothing is lost, the other save stands).
    /// </summary>
    public async Task<TemplateVersion?> AppendAsync(string kind, string name, string accountId, string? source, string savedBy, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        int version;
        await using (var connection = await database.OpenConnectionAsync(ct))
        {
            try
            {
                version = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                    """
                    INSERT INTO sp_template_versions (kind, name, account_id, version, source, saved_by, saved_at_ms)
                    SELECT @kind, @name, @accountId, coalesce(max(version), 0) + 1, @source, @savedBy, @now
                    FROM sp_template_versions WHERE kind = @kind AND name = @name AND account_id = @accountId
                    RETURNING version
                    """,
                    new { kind, name, accountId, source, savedBy, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
            }
            catch (Exception ex) when (database.IsUniqueViolation(ex))
            {
                return null;
            }
        }

        // After the write: a reader that sees the new token reads the new overrides.
        await grains.GetGrain<IChangeTokenGrain>("templates").Changed();
        return new TemplateVersion(kind, name, accountId, version, source, savedBy, DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()));
    }

    // Settable members: Dapper converts the integer column types of both back-ends to them.
    private sealed class Row
    {
        public string Kind { get; set; } = "";
        public string Name { get; set; } = "";
        public string AccountId { get; set; } = "";
        public long Version { get; set; }
        public string? Source { get; set; }
        public string SavedBy { get; set; } = "";
        public long SavedAtMs { get; set; }

        public TemplateVersion ToVersion() => new(Kind, Name, AccountId, (int)Version, Source, SavedBy, DateTimeOffset.FromUnixTimeMilliseconds(SavedAtMs));
    }
}
