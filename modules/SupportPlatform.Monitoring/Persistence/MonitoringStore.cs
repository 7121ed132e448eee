using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using SupportPlatform.Monitoring.Grains;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Monitoring.Persistence;

/// <summary>A system's row as stored.</summary>
internal sealed record SystemRow(string Id, string AccountId, string Name, AlertRules? Rules, SystemState State, long Version, IReadOnlyList<string> HostNames);

/// <summary>Reads and writes the monitoring tables (<c>sp_monitor_*</c>, migration 0013).</summary>
internal sealed class MonitoringStore(IDatabase database, TimeProvider clock)
{
    private const int AlertsPerStatement = 200;

    public IDatabase Database => database;

    public static string Json<T>(T value) => JsonSerializer.Serialize(value, MonitoringJson.Options);

    public static T? FromJson<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json, MonitoringJson.Options);

    public async Task<SystemRow?> LoadSystemAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Id, string AccountId, string Name, string? Rules, string State, long Version)>(new CommandDefinition(
            "SELECT id, account_id, name, rules, state, version FROM sp_monitor_systems WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (row.Id is null)
        {
            return null;
        }

        var hosts = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT host_name FROM sp_monitor_hosts WHERE system_id = @id ORDER BY host_name", new { id }, cancellationToken: cancellationToken));
        return new SystemRow(row.Id, row.AccountId, row.Name, FromJson<AlertRules>(row.Rules), FromJson<SystemState>(row.State)!, row.Version, hosts.ToList());
    }

    /// <summary>The idempotency keys of the system's most recent alerts (retries arrive soon after the original).</summary>
    public async Task<IReadOnlyList<string>> RecentKeysAsync(string systemId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT idem_key FROM sp_monitor_alerts WHERE system_id = @systemId ORDER BY id DESC LIMIT @limit", new { systemId, limit }, cancellationToken: cancellationToken))).ToList();
    }

    public async Task<IReadOnlyList<MaintenanceWindow>> MaintenanceAsync(string systemId, DateTimeOffset? endingAfter, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, long StartsAtMs, long EndsAtMs, string Reason, string CreatedBy)>(new CommandDefinition(
            "SELECT id, starts_at_ms, ends_at_ms, reason, created_by FROM sp_monitor_maintenance WHERE system_id = @systemId AND ends_at_ms > @after ORDER BY starts_at_ms",
            new { systemId, after = endingAfter?.ToUnixTimeMilliseconds() ?? long.MinValue }, cancellationToken: cancellationToken));
        return rows.Select(r => new MaintenanceWindow(r.Id, FromMs(r.StartsAtMs), FromMs(r.EndsAtMs), r.Reason, r.CreatedBy)).ToList();
    }

    public async Task<MaintenanceWindow> AddMaintenanceAsync(string systemId, DateTimeOffset startsAt, DateTimeOffset endsAt, string reason, string createdBy, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO sp_monitor_maintenance (system_id, starts_at_ms, ends_at_ms, reason, created_by, created_at_ms)
            VALUES (@systemId, @starts, @ends, @reason, @createdBy, @now) RETURNING id
            """,
            new { systemId, starts = startsAt.ToUnixTimeMilliseconds(), ends = endsAt.ToUnixTimeMilliseconds(), reason, createdBy, now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
        return new MaintenanceWindow(id, startsAt, endsAt, reason, createdBy);
    }

    public async Task<AlertRules?> AccountRulesAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return FromJson<AlertRules>(await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT rules FROM sp_monitor_account_rules WHERE account_id = @accountId", new { accountId }, cancellationToken: cancellationToken)));
    }

    /// <summary>The rules of several accounts in one query; accounts without rules are missing from the answer.</summary>
    public async Task<IReadOnlyDictionary<string, AlertRules>> AccountRulesAsync(IReadOnlyCollection<string> accountIds, CancellationToken cancellationToken = default)
    {
        if (accountIds.Count == 0)
        {
            return new Dictionary<string, AlertRules>(StringComparer.Ordinal);
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string AccountId, string? Rules)>(new CommandDefinition(
            $"SELECT account_id, rules FROM sp_monitor_account_rules WHERE account_id {database.InList("ids")}", new { ids = accountIds.Distinct(StringComparer.Ordinal).ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(r => (r.AccountId, Rules: FromJson<AlertRules>(r.Rules)))
            .Where(r => r.Rules is not null)
            .ToDictionary(r => r.AccountId, r => r.Rules!, StringComparer.Ordinal);
    }

    public async Task SaveAccountRulesAsync(string accountId, AlertRules rules, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_monitor_account_rules (account_id, rules, updated_at_ms) VALUES (@accountId, @rules, @now)
            ON CONFLICT (account_id) DO UPDATE SET rules = excluded.rules, updated_at_ms = excluded.updated_at_ms
            """,
            new { accountId, rules = Json(rules), now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Creates or updates a system's definition and claims its host names, guarded by <paramref name="expectedVersion"/>
    /// (0: must not exist). Throws <see cref="MonitoringRuleException"/> when another system claims one of the names.
    /// </summary>
    public async Task DefineAsync(string id, string accountId, string name, IReadOnlyList<string> hostNames, AlertRules? rules, SystemState state, long expectedVersion, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = (await connection.QueryAsync<(string HostName, string SystemId)>(new CommandDefinition(
            $"SELECT host_name, system_id FROM sp_monitor_hosts WHERE host_name {database.InList("names")} AND system_id <> @id",
            new { names = hostNames.ToArray(), id }, transaction, cancellationToken: cancellationToken))).ToList();
        if (claimed.Count > 0)
        {
            throw new MonitoringRuleException("host-name-taken",
                string.Join(" ", claimed.Select(c => $"Host name '{c.HostName}' already belongs to system '{c.SystemId}'.")) + " A host name maps to one system; remove it there first.", 409);
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var args = new { id, accountId, name, rules = rules is null ? null : Json(rules), state = Json(state), status = "ok", now, version = expectedVersion + 1, expected = expectedVersion };
        var affected = expectedVersion == 0
            ? await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO sp_monitor_systems (id, account_id, name, status, rules, state, version, created_at_ms, updated_at_ms)
                VALUES (@id, @accountId, @name, @status, @rules, @state, @version, @now, @now) ON CONFLICT (id) DO NOTHING
                """, args, transaction, cancellationToken: cancellationToken))
            : await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_monitor_systems SET account_id = @accountId, name = @name, rules = @rules, version = @version, updated_at_ms = @now WHERE id = @id AND version = @expected",
                args, transaction, cancellationToken: cancellationToken));
        if (affected != 1)
        {
            throw new MonitoringConflictException($"System '{id}' was changed at the same time; reload it and try again.");
        }

        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sp_monitor_hosts WHERE system_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        foreach (var host in hostNames)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sp_monitor_hosts (host_name, system_id) VALUES (@host, @id)", new { host, id }, transaction, cancellationToken: cancellationToken));
        }

        // Alerts that arrived for these names before any system claimed them now belong to this one.
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE sp_monitor_alerts SET system_id = @id WHERE system_id IS NULL AND host_name {database.InList("names")}",
            new { id, names = hostNames.ToArray() }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Every host name and the system it belongs to.</summary>
    public async Task<Dictionary<string, string>> HostMapAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<(string Host, string System)>(new CommandDefinition(
            "SELECT host_name, system_id FROM sp_monitor_hosts", cancellationToken: cancellationToken))).ToDictionary(r => r.Host, r => r.System, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<string>> SystemIdsAsync(string? accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM sp_monitor_systems WHERE (@accountId IS NULL OR account_id = @accountId) ORDER BY account_id, name",
            new { accountId }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Multi-row inserts of alerts (a retried alert that is stored already is skipped by its key).</summary>
    public static IEnumerable<Sql> AlertInserts(string? systemId, IReadOnlyList<(IncomingAlert Alert, int? Incident)> alerts)
    {
        foreach (var chunk in alerts.Chunk(AlertsPerStatement))
        {
            var sql = new StringBuilder(
                "INSERT INTO sp_monitor_alerts (idem_key, system_id, source, host_name, check_name, state, category, dedup_key, occurred_at_ms, received_at_ms, summary, details, link, metrics, attributes, incident_no) VALUES ");
            var args = new List<KeyValuePair<string, object?>>(chunk.Length * 16);
            for (var i = 0; i < chunk.Length; i++)
            {
                var (a, incident) = chunk[i];
                var n = i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? "" : ", ").Append($"(@k{n}, @sy{n}, @so{n}, @h{n}, @c{n}, @st{n}, @ca{n}, @d{n}, @o{n}, @r{n}, @su{n}, @de{n}, @l{n}, @m{n}, @at{n}, @i{n})");
                Add("k", a.IdemKey);
                Add("sy", systemId);
                Add("so", a.Source);
                Add("h", a.HostName);
                Add("c", a.Check);
                Add("st", AlertRules.Name(a.State));
                Add("ca", a.Category == AlertCategory.Security ? "security" : "availability");
                Add("d", a.DedupKey);
                Add("o", a.OccurredAt.ToUnixTimeMilliseconds());
                Add("r", a.ReceivedAt.ToUnixTimeMilliseconds());
                Add("su", a.Summary);
                Add("de", a.Details);
                Add("l", a.Link);
                Add("m", a.Metrics.Count == 0 ? null : Json(a.Metrics));
                Add("at", a.Attributes.Count == 0 ? null : Json(a.Attributes));
                Add("i", incident);

                void Add(string prefix, object? value) => args.Add(new(prefix + n, value));
            }

            sql.Append(" ON CONFLICT (idem_key) DO NOTHING");
            yield return new Sql(sql.ToString(), args);
        }
    }

    /// <summary>The system row's new state, guarded by its version (exactly one row on success).</summary>
    public static Sql StateUpdate(string id, SystemState state, AlertState status, long expectedVersion, DateTimeOffset now) => Sql.Of(
        "UPDATE sp_monitor_systems SET state = @state, status = @status, version = @version, updated_at_ms = @now WHERE id = @id AND version = @expected",
        ("state", Json(state)), ("status", AlertRules.Name(status)), ("version", expectedVersion + 1), ("now", now.ToUnixTimeMilliseconds()), ("id", id), ("expected", expectedVersion));

    public static Sql ChangeInsert(string systemId, IReadOnlyList<(long Seq, string Check, string From, string To, DateTimeOffset At, string Summary)> changes)
    {
        var sql = new StringBuilder("INSERT INTO sp_monitor_changes (system_id, seq, check_name, from_state, to_state, at_ms, summary) VALUES ");
        var args = new List<KeyValuePair<string, object?>> { new("sys", systemId) };
        for (var i = 0; i < changes.Count; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            var c = changes[i];
            sql.Append(i == 0 ? "" : ", ").Append($"(@sys, @s{n}, @c{n}, @f{n}, @t{n}, @a{n}, @u{n})");
            args.Add(new("s" + n, c.Seq));
            args.Add(new("c" + n, c.Check));
            args.Add(new("f" + n, c.From));
            args.Add(new("t" + n, c.To));
            args.Add(new("a" + n, c.At.ToUnixTimeMilliseconds()));
            args.Add(new("u" + n, c.Summary.Length > 500 ? c.Summary[..500] : c.Summary));
        }

        return new Sql(sql.ToString(), args);
    }

    public static Sql IncidentUpsert(string systemId, string accountId, IncidentState incident, string status, DateTimeOffset? resolvedAt) => Sql.Of(
        """
        INSERT INTO sp_monitor_incidents (system_id, number, account_id, ticket_id, status, category, summary, checks, alert_count, opened_at_ms, acknowledged_at_ms, resolved_at_ms)
        VALUES (@sys, @no, @acc, @ticket, @status, @cat, @summary, @checks, @alerts, @opened, @acked, @resolved)
        ON CONFLICT (system_id, number) DO UPDATE SET status = excluded.status, summary = excluded.summary, checks = excluded.checks,
            alert_count = excluded.alert_count, acknowledged_at_ms = excluded.acknowledged_at_ms, resolved_at_ms = excluded.resolved_at_ms
        """,
        ("sys", systemId), ("no", incident.Number), ("acc", accountId), ("ticket", incident.TicketId), ("status", status),
        ("cat", incident.Category == AlertCategory.Security ? "security" : "availability"), ("summary", incident.Summary),
        ("checks", string.Join('\n', incident.Checks)), ("alerts", incident.Alerts), ("opened", incident.OpenedAt.ToUnixTimeMilliseconds()),
        ("acked", incident.AcknowledgedAt?.ToUnixTimeMilliseconds()), ("resolved", resolvedAt?.ToUnixTimeMilliseconds()));

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
