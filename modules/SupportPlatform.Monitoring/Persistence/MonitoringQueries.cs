using Dapper;
using SupportPlatform.Monitoring.Grains;
using SupportPlatform.Monitoring.Uptime;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Monitoring.Persistence;

/// <summary>A system in a list.</summary>
internal sealed record SystemSummary(string Id, string AccountId, string Name, string Status, DateTimeOffset UpdatedAt);

/// <summary>A stored alert.</summary>
internal sealed record AlertRecord(
    long Id, string? SystemId, string Source, string HostName, string Check, string State, string Category, string DedupKey,
    DateTimeOffset OccurredAt, DateTimeOffset ReceivedAt, string Summary, string? Details, string? Link, string? IncidentId,
    IReadOnlyDictionary<string, double>? Metrics);

/// <summary>One state change in a system's history ("*" is the system's availability: down or up).</summary>
internal sealed record StateChange(long Seq, string Check, string From, string To, DateTimeOffset At, string Summary);

/// <summary>Read side of the monitoring tables for the API.</summary>
internal sealed class MonitoringQueries(IDatabase database)
{
    public async Task<IReadOnlyList<SystemSummary>> SystemsAsync(string? accountId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string AccountId, string Name, string Status, long UpdatedAtMs)>(new CommandDefinition(
            "SELECT id, account_id, name, status, updated_at_ms FROM sp_monitor_systems WHERE (@accountId IS NULL OR account_id = @accountId) ORDER BY account_id, name",
            new { accountId }, cancellationToken: cancellationToken));
        return rows.Select(r => new SystemSummary(r.Id, r.AccountId, r.Name, r.Status, MonitoringStore.FromMs(r.UpdatedAtMs))).ToList();
    }

    public async Task<IReadOnlyList<IncidentView>> IncidentsAsync(string? status, string? accountId, string? systemId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string SystemId, int Number, string AccountId, long? TicketId, string Status, string Category, string Summary, string Checks, long AlertCount, long OpenedAtMs, long? AckMs, long? ResolvedMs)>(new CommandDefinition(
            """
            SELECT system_id, number, account_id, ticket_id, status, category, summary, checks, alert_count, opened_at_ms, acknowledged_at_ms, resolved_at_ms
            FROM sp_monitor_incidents
            WHERE (@status IS NULL OR status = @status) AND (@accountId IS NULL OR account_id = @accountId) AND (@systemId IS NULL OR system_id = @systemId)
            ORDER BY opened_at_ms DESC LIMIT @limit
            """,
            new { status, accountId, systemId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new IncidentView
        {
            Id = SystemKeys.IncidentId(r.SystemId, r.Number),
            SystemId = r.SystemId,
            AccountId = r.AccountId,
            TicketId = r.TicketId,
            Status = r.Status,
            Category = r.Category == "security" ? AlertCategory.Security : AlertCategory.Availability,
            Summary = r.Summary,
            Checks = r.Checks.Split('\n'),
            Alerts = r.AlertCount,
            OpenedAt = MonitoringStore.FromMs(r.OpenedAtMs),
            AcknowledgedAt = r.AckMs is { } a ? MonitoringStore.FromMs(a) : null,
            ResolvedAt = r.ResolvedMs is { } z ? MonitoringStore.FromMs(z) : null,
        }).ToList();
    }

    /// <summary>The newest alerts of a system, or the unmapped ones when <paramref name="systemId"/> is null.</summary>
    public async Task<IReadOnlyList<AlertRecord>> AlertsAsync(string? systemId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string? SystemId, string Source, string HostName, string CheckName, string State, string Category, string DedupKey, long OccurredAtMs, long ReceivedAtMs, string Summary, string? Details, string? Link, int? IncidentNo, string? Metrics)>(new CommandDefinition(
            $"""
            SELECT id, system_id, source, host_name, check_name, state, category, dedup_key, occurred_at_ms, received_at_ms, summary, details, link, incident_no, metrics
            FROM sp_monitor_alerts WHERE {(systemId is null ? "system_id IS NULL" : "system_id = @systemId")} ORDER BY id DESC LIMIT @limit
            """,
            new { systemId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new AlertRecord(r.Id, r.SystemId, r.Source, r.HostName, r.CheckName, r.State, r.Category, r.DedupKey,
            MonitoringStore.FromMs(r.OccurredAtMs), MonitoringStore.FromMs(r.ReceivedAtMs), r.Summary, r.Details, r.Link,
            r.IncidentNo is { } n && r.SystemId is not null ? SystemKeys.IncidentId(r.SystemId, n) : null,
            MonitoringStore.FromJson<Dictionary<string, double>>(r.Metrics))).ToList();
    }

    public async Task<IReadOnlyList<StateChange>> HistoryAsync(string systemId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Seq, string CheckName, string FromState, string ToState, long AtMs, string Summary)>(new CommandDefinition(
            "SELECT seq, check_name, from_state, to_state, at_ms, summary FROM sp_monitor_changes WHERE system_id = @systemId ORDER BY seq DESC LIMIT @limit",
            new { systemId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new StateChange(r.Seq, r.CheckName, r.FromState, r.ToState, MonitoringStore.FromMs(r.AtMs), r.Summary)).ToList();
    }

    /// <summary>Uptime of each [from, to) period; time before the system existed and after now is not measured.</summary>
    public async Task<IReadOnlyList<UptimeFigure>> UptimeAsync(string systemId, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> periods, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (periods.Count == 0)
        {
            return [];
        }

        var history = await HistoriesAsync([systemId], periods.Min(p => p.From), periods.Max(p => p.To), cancellationToken);
        return history.TryGetValue(systemId, out var found) ? found.Uptime(periods, now) : [.. periods.Select(p => new UptimeFigure(p.From, p.To, 0, 0, 0, null))];
    }

    /// <summary>
    /// What uptime and the dashboard need of many systems, in three queries on one connection whatever their number:
    /// each system's creation, its availability changes before <paramref name="end"/>, and its maintenance windows ending
    /// after <paramref name="start"/>. Systems that do not exist are missing from the answer.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, SystemHistory>> HistoriesAsync(IReadOnlyCollection<string> systemIds, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, SystemHistory>(StringComparer.Ordinal);
        if (systemIds.Count == 0)
        {
            return result;
        }

        var ids = systemIds.Distinct(StringComparer.Ordinal).ToArray();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var created = (await connection.QueryAsync<(string Id, long CreatedAtMs)>(new CommandDefinition(
            $"SELECT id, created_at_ms FROM sp_monitor_systems WHERE id {database.InList("ids")}", new { ids }, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Id, r => MonitoringStore.FromMs(r.CreatedAtMs), StringComparer.Ordinal);
        var changes = (await connection.QueryAsync<(string SystemId, long AtMs, string ToState)>(new CommandDefinition(
            $"SELECT system_id, at_ms, to_state FROM sp_monitor_changes WHERE system_id {database.InList("ids")} AND check_name = '*' AND at_ms < @end ORDER BY system_id, at_ms, seq",
            new { ids, end = end.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)))
            .ToLookup(c => c.SystemId, c => (At: MonitoringStore.FromMs(c.AtMs), Down: c.ToState == "down"), StringComparer.Ordinal);
        var windows = (await connection.QueryAsync<(string SystemId, long Id, long StartsAtMs, long EndsAtMs, string Reason, string CreatedBy)>(new CommandDefinition(
            $"SELECT system_id, id, starts_at_ms, ends_at_ms, reason, created_by FROM sp_monitor_maintenance WHERE system_id {database.InList("ids")} AND ends_at_ms > @start ORDER BY system_id, starts_at_ms",
            new { ids, start = start.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)))
            .ToLookup(w => w.SystemId, w => new MaintenanceWindow(w.Id, MonitoringStore.FromMs(w.StartsAtMs), MonitoringStore.FromMs(w.EndsAtMs), w.Reason, w.CreatedBy), StringComparer.Ordinal);
        foreach (var (id, createdAt) in created)
        {
            result[id] = new SystemHistory(createdAt, [.. changes[id]], [.. windows[id]]);
        }

        return result;
    }
}

/// <summary>A system's creation, availability changes (in order) and maintenance windows, as read for uptime.</summary>
internal sealed record SystemHistory(DateTimeOffset CreatedAt, IReadOnlyList<(DateTimeOffset At, bool Down)> Changes, IReadOnlyList<MaintenanceWindow> Maintenance)
{
    /// <summary>Uptime of each [from, to) period; time before the system existed and after now is not measured.</summary>
    public IReadOnlyList<UptimeFigure> Uptime(IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> periods, DateTimeOffset now)
    {
        if (periods.Count == 0)
        {
            return [];
        }

        var end = periods.Max(p => p.To);
        var start = periods.Min(p => p.From);
        var windows = Maintenance.Where(w => w.EndsAt > start && w.StartsAt < end).Select(w => (w.StartsAt, w.EndsAt)).ToList();
        var changes = Changes.Where(c => c.At < end).ToList();
        return periods.Select(p =>
        {
            // Monitoring starts with the system's definition or its first recorded change, whichever is earlier.
            var begin = changes.Count > 0 && changes[0].At < CreatedAt ? changes[0].At : CreatedAt;
            var from = p.From < begin ? begin : p.From;
            var to = p.To > now ? now : p.To;
            var downAtStart = changes.LastOrDefault(c => c.At < from) is { At: var at } last && at != default && last.Down;
            return UptimeCalculator.Compute(from, to, downAtStart, changes, windows);
        }).ToList();
    }
}
