using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.Plugins;
using SupportPlatform.Monitoring.Intake;
using SupportPlatform.Monitoring.Live;
using SupportPlatform.Monitoring.Persistence;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Monitoring.Grains;

/// <summary>
/// One monitored system. Its state lives in the system's row (JSON), written in the same transaction as the alerts
/// that changed it, the history rows and the incident row, through the group-committing <see cref="MonitoringWriter"/>.
/// Ticket work (open, note, resolve, acknowledge at the source) is decided in that same state as pending actions and
/// done after the commit, retried until it succeeds: every step is idempotent (the ticket number is reserved before
/// the commit, notes carry their own comment id), so a crash between the two repeats work without doubling it.
/// </summary>
internal sealed class MonitoredSystemGrain(
    MonitoringStore store,
    MonitoringWriter writer,
    HostDirectory hosts,
    ITicketNumbers numbers,
    TimeProvider clock,
    IServiceProvider services,
    ILogger<MonitoredSystemGrain> logger) : Grain, IMonitoredSystemGrain
{
    private const int RememberedKeys = 5_000;
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RulesLifetime = TimeSpan.FromSeconds(30);

    private readonly HashSet<string> seen = new(StringComparer.Ordinal);
    private readonly Queue<string> seenOrder = new();
    private SystemRow? row;
    private AlertRules? accountRules;
    private DateTimeOffset rulesReadAt;
    private TimeZoneInfo zone = TimeZoneInfo.Utc;
    private IReadOnlyList<MaintenanceWindow> maintenance = [];
    private IGrainTimer? drainTimer;
    private bool draining;

    private string Id => this.GetPrimaryKeyString()["s-".Length..];

    private AlertRules Rules => row?.Rules ?? accountRules ?? new AlertRules();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        row = await store.LoadSystemAsync(Id, cancellationToken);
        if (row is null)
        {
            return;
        }

        foreach (var key in (await store.RecentKeysAsync(Id, RememberedKeys, cancellationToken)).Reverse())
        {
            Remember(key);
        }

        await ReadSettingsAsync(cancellationToken);
        // Pending ticket work (after a crash, or a ticket call that failed) is retried on a timer until it is done.
        drainTimer = this.RegisterGrainTimer(DrainAsync, TimeSpan.Zero, RetryPeriod);
    }

    public async Task<SystemView> Define(DefineSystem definition)
    {
        var problems = new List<string>();
        var accountId = definition.AccountId?.Trim() ?? row?.AccountId;
        if (!AccountKeys.IsValidId(accountId))
        {
            problems.Add("A system needs the id of the client account it belongs to (accountId).");
        }
        else if (row is not null && row.AccountId != accountId)
        {
            problems.Add($"System '{Id}' belongs to account '{row.AccountId}'; a system cannot move to another account.");
        }
        else if (await GrainFactory.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId!)).Get() is null)
        {
            problems.Add($"Client account '{accountId}' does not exist; create it first (PUT /api/accounts/{accountId}).");
        }

        var name = definition.Name?.Trim() ?? row?.Name ?? Id;
        if (name.Length is 0 or > 200)
        {
            problems.Add("The name must be 1 to 200 characters.");
        }

        var hostNames = (definition.HostNames ?? row?.HostNames ?? [Id]).Select(h => h.Trim().ToLowerInvariant()).Distinct().ToList();
        foreach (var bad in hostNames.Where(h => h.Length is 0 or > 255))
        {
            problems.Add("Host names must be 1 to 255 characters.");
        }

        if (hostNames.Count > 100)
        {
            problems.Add("A system has at most 100 host names.");
        }

        if (definition.Rules is { } rules)
        {
            problems.AddRange(rules.Validate().Select(p => "rules: " + p));
        }

        if (problems.Count > 0)
        {
            throw new MonitoringRuleException("invalid-system", string.Join(" ", problems));
        }

        var state = row?.State ?? new SystemState();
        try
        {
            await store.DefineAsync(Id, accountId!, name, hostNames, definition.Rules, state, row?.Version ?? 0);
        }
        catch (MonitoringConflictException)
        {
            row = await store.LoadSystemAsync(Id);
            throw;
        }

        hosts.Invalidate();
        row = new SystemRow(Id, accountId!, name, definition.Rules, state, (row?.Version ?? 0) + 1, hostNames);
        await ReadSettingsAsync(CancellationToken.None);
        drainTimer ??= this.RegisterGrainTimer(DrainAsync, RetryPeriod, RetryPeriod);
        Changed();
        return View();
    }

    public Task<SystemView?> Get() => Task.FromResult(row is null ? null : View());

    public async Task Refresh()
    {
        if (row is not null)
        {
            await ReadSettingsAsync(CancellationToken.None);
            Changed();
        }
    }

    public async Task<IngestResult[]> Ingest(IncomingAlert[] alerts)
    {
        if (row is null)
        {
            // The host map pointed here but the system is gone (deleted meanwhile): the sink stores these as unmapped.
            throw new MonitoringRuleException("unknown-system", $"System '{Id}' does not exist.", 404);
        }

        if (clock.GetUtcNow() - rulesReadAt > RulesLifetime)
        {
            await ReadSettingsAsync(CancellationToken.None);
        }

        var state = row.State;
        var results = new IngestResult[alerts.Length];
        var stored = new List<(IncomingAlert, int?)>();
        var changes = new List<(long, string, string, string, DateTimeOffset, string)>();
        var incidents = new List<(IncidentState Incident, string Status, DateTimeOffset? ResolvedAt)>();
        var batchKeys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < alerts.Length; i++)
        {
            var alert = alerts[i];
            if (seen.Contains(alert.IdemKey) || !batchKeys.Add(alert.IdemKey))
            {
                results[i] = new IngestResult(true, state.Incident?.Number, state.Incident?.TicketId);
                continue;
            }

            var incident = await ApplyAsync(state, alert, changes, incidents);
            stored.Add((alert, incident?.Number));
            results[i] = new IngestResult(false, incident?.Number, incident?.TicketId);
            foreach (var drift in DriftWatch.Observe(state, alert, Rules.Anomaly ?? new AnomalyRules()))
            {
                // Derived from a stored alert in the same transaction: a retried delivery is a duplicate, and so is its drift.
                if (batchKeys.Add(drift.IdemKey))
                {
                    var driftIncident = await ApplyAsync(state, drift, changes, incidents);
                    stored.Add((drift, driftIncident?.Number));
                }
            }
        }

        if (stored.Count == 0)
        {
            return results;
        }

        if (state.Incident is { } open && !incidents.Any(i => ReferenceEquals(i.Incident, open)))
        {
            incidents.Add((open, "open", null));
        }

        var statements = MonitoringStore.AlertInserts(Id, stored).ToList();
        var guard = statements.Count;
        var now = clock.GetUtcNow();
        statements.Add(MonitoringStore.StateUpdate(Id, state, Status(state), row.Version, now));
        if (changes.Count > 0)
        {
            statements.Add(MonitoringStore.ChangeInsert(Id, changes));
        }

        statements.AddRange(incidents.Select(i => MonitoringStore.IncidentUpsert(Id, row.AccountId, i.Incident, i.Status, i.ResolvedAt)));
        try
        {
            await writer.WriteAsync(new WriteUnit(statements, guard));
        }
        catch
        {
            // Nothing was stored: forget what was applied in memory (the stored state is the truth), so the sender's
            // retry is applied afresh; if even reading fails, deactivate and read it on the next call.
            try
            {
                row = await store.LoadSystemAsync(Id) ?? row;
            }
            catch (Exception reload)
            {
                logger.LogWarning(reload, "System {System}: could not reload its state after a failed write; deactivating", Id);
                DeactivateOnIdle();
            }

            throw;
        }

        row = row with { Version = row.Version + 1 };
        Changed();
        foreach (var (alert, _) in stored)
        {
            Remember(alert.IdemKey);
        }

        if (state.Pending.Count > 0)
        {
            drainTimer?.Change(TimeSpan.Zero, RetryPeriod);
        }

        return results;
    }

    public async Task TicketAcknowledged(int incident, string author)
    {
        if (row?.State.Incident is not { } open || open.Number != incident || open.AcknowledgedAt is not null)
        {
            return;
        }

        var now = clock.GetUtcNow();
        open.AcknowledgedAt = now;
        foreach (var check in open.Checks.Where(c => row.State.Checks.TryGetValue(c, out var s) && s.State != AlertState.Ok))
        {
            row.State.Pending.Add(new TicketAction { Kind = TicketActionKind.AcknowledgeAtSource, TicketId = open.TicketId, Incident = open.Number, Check = check, Author = author, At = now });
        }

        await SaveStateAsync([MonitoringStore.IncidentUpsert(Id, row.AccountId, open, "open", null)]);
        drainTimer?.Change(TimeSpan.Zero, RetryPeriod);
    }

    /// <summary>Applies one new alert to the state; returns the incident it belongs to, if any.</summary>
    private async Task<IncidentState?> ApplyAsync(
        SystemState state,
        IncomingAlert alert,
        List<(long, string, string, string, DateTimeOffset, string)> changes,
        List<(IncidentState Incident, string Status, DateTimeOffset? ResolvedAt)> incidents)
    {
        var rules = Rules;
        var alertState = alert.Category == AlertCategory.Security && alert.State != AlertState.Ok ? AlertState.Critical : alert.State;
        var isNew = !state.Checks.TryGetValue(alert.Check, out var check);
        check ??= state.Checks[alert.Check] = new CheckState { State = AlertState.Ok, Since = alert.OccurredAt };
        if (!isNew && alert.OccurredAt < check.Since)
        {
            // Out of order (an old retry after the check moved on): stored for the record, changes nothing.
            check.Alerts++;
            return state.Incident is { } current && current.Checks.Contains(alert.Check) ? current : null;
        }

        var output = alert.Details is { Length: > 0 } details ? alert.Summary + "\n" + details : alert.Summary;
        check.Alerts++;
        check.LastSeen = alert.OccurredAt;
        check.Source = alert.Source;
        check.HostName = alert.HostName;
        check.DedupKey = alert.DedupKey;
        check.Summary = alert.Summary;
        check.Details = alert.Details;
        check.Link = alert.Link;
        check.Category = alert.Category;
        check.Attributes = alert.Attributes;
        var from = check.State;
        var changed = from != alertState;
        if (changed)
        {
            changes.Add((++state.ChangeSeq, alert.Check, AlertRules.Name(from), AlertRules.Name(alertState), alert.OccurredAt, alert.Summary));
            check.State = alertState;
            check.Since = alert.OccurredAt;
            check.RecentChanges.Add(alert.OccurredAt);
            check.RecentChanges.RemoveAll(t => t < alert.OccurredAt - rules.FlapWindow);
            check.Flapping = check.RecentChanges.Count >= rules.FlapThreshold;
        }

        var down = state.Checks.Values.Any(c => c.Category == AlertCategory.Availability && c.State == AlertState.Critical);
        if (down != state.Down)
        {
            changes.Add((++state.ChangeSeq, "*", state.Down ? "down" : "up", down ? "down" : "up", alert.OccurredAt, alert.Summary));
            state.Down = down;
        }

        var incident = state.Incident;
        if (alertState != AlertState.Ok)
        {
            if (incident is null)
            {
                if (changed && Opens(alertState, rules) && !check.Flapping)
                {
                    var ticket = await numbers.AllocateAsync(CancellationToken.None);
                    incident = state.Incident = new IncidentState
                    {
                        Number = ++state.IncidentCount,
                        TicketId = ticket,
                        Category = alert.Category,
                        Priority = rules.PriorityFor(alertState, alert.Category),
                        Summary = Subject(alert, alertState),
                        Checks = [alert.Check],
                        OpenedAt = alert.OccurredAt,
                    };
                    state.Pending.Add(new TicketAction
                    {
                        Kind = TicketActionKind.Create,
                        TicketId = ticket,
                        Incident = incident.Number,
                        Subject = incident.Summary,
                        Body = Describe(alert, output),
                        Priority = incident.Priority,
                        Group = alert.Category == AlertCategory.Security ? rules.SecurityGroup : rules.Group,
                        Notify = rules.Notify.Count > 0 ? [.. rules.Notify] : null,
                        At = alert.OccurredAt,
                    });
                }
            }
            else if (!incident.Checks.Contains(alert.Check))
            {
                if (changed && Opens(alertState, rules))
                {
                    incident.Checks.Add(alert.Check);
                    Note(state, incident, $"Also failing: {CheckName(alert.Check)} is {AlertRules.Name(alertState)} ({alert.Source}).\n{output}", alert.OccurredAt);
                }
            }
            else if (changed)
            {
                Note(state, incident, $"{CheckName(alert.Check)} is now {AlertRules.Name(alertState)} (was {AlertRules.Name(from)}).\n{output}", alert.OccurredAt);
            }
        }
        else if (incident is not null && incident.Checks.Contains(alert.Check) && changed)
        {
            Note(state, incident, $"Recovered: {CheckName(alert.Check)} is ok ({alert.Source}).\n{output}", alert.OccurredAt);
            if (incident.Checks.All(c => state.Checks[c].State == AlertState.Ok))
            {
                if (incident.Checks.Any(c => state.Checks[c].Flapping))
                {
                    if (!incident.FlapNoted)
                    {
                        incident.FlapNoted = true;
                        Note(state, incident, "The check is flapping (changing state often): the incident stays open until it is stable.", alert.OccurredAt);
                    }
                }
                else
                {
                    state.Pending.Add(rules.ResolveOnRecovery
                        ? new TicketAction { Kind = TicketActionKind.Resolve, TicketId = incident.TicketId, Incident = incident.Number, Body = "Every check of the incident has recovered.", At = alert.OccurredAt }
                        : new TicketAction { Kind = TicketActionKind.Note, TicketId = incident.TicketId, Incident = incident.Number, Body = "Every check of the incident has recovered; the alert rules leave the ticket open.", At = alert.OccurredAt });
                    incident.Alerts++;
                    incidents.Add((incident, "resolved", alert.OccurredAt));
                    state.Incident = null;
                    return incident;
                }
            }
        }

        if (incident is not null && incident.Checks.Contains(alert.Check))
        {
            incident.Alerts++;
            return incident;
        }

        return null;
    }

    private bool Opens(AlertState state, AlertRules rules)
    {
        var now = clock.GetUtcNow();
        if (maintenance.Any(m => m.StartsAt <= now && now < m.EndsAt))
        {
            return false;
        }

        if (rules.QuietHours is { } quiet)
        {
            var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
            var inside = quiet.Start < quiet.End ? local >= quiet.Start && local < quiet.End : local >= quiet.Start || local < quiet.End;
            if (inside)
            {
                return quiet.OpenOn.Contains(state);
            }
        }

        return rules.OpenOn.Contains(state);
    }

    private static void Note(SystemState state, IncidentState incident, string body, DateTimeOffset at) =>
        state.Pending.Add(new TicketAction { Kind = TicketActionKind.Note, TicketId = incident.TicketId, Incident = incident.Number, Body = body, At = at });

    private static string CheckName(string check) => check.Length == 0 ? "the host" : $"'{check}'";

    private string Subject(IncomingAlert alert, AlertState state)
    {
        var what = alert.Category == AlertCategory.Security ? "Security" : AlertRules.Name(state).ToUpperInvariant();
        var subject = $"[{what}] {row!.Name}: {(alert.Check.Length == 0 ? "" : alert.Check + " - ")}{alert.Summary}";
        return subject.Length > 200 ? subject[..200] : subject;
    }

    private string Describe(IncomingAlert alert, string output) =>
        $"""
        Monitoring incident {SystemKeys.IncidentId(Id, row!.State.IncidentCount)} on {row.Name} (system '{Id}', host '{alert.HostName}').
        Check: {(alert.Check.Length == 0 ? "host" : alert.Check)}
        State: {AlertRules.Name(alert.State)}{(alert.Category == AlertCategory.Security ? " (security event)" : "")}
        Source: {alert.Source}, at {alert.OccurredAt:u}
        {(alert.Link is null ? "" : "Link: " + alert.Link)}

        {output}
        """;

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (row is null || row.State.Pending.Count == 0 || draining)
        {
            return;
        }

        draining = true;
        var done = 0;
        try
        {
            foreach (var action in row.State.Pending.ToList())
            {
                try
                {
                    await ExecuteAsync(action);
                }
                catch (TicketRuleException ex)
                {
                    // The ticket refuses (closed, merged away): retrying cannot help. Recorded in the log, then dropped.
                    logger.LogWarning(ex, "System {System}: ticket {Ticket} refused monitoring action {Kind}: {Reason}", Id, action.TicketId, action.Kind, ex.Message);
                }
                catch (Exception ex)
                {
                    action.Attempts++;
                    logger.LogWarning(ex, "System {System}: monitoring action {Kind} on ticket {Ticket} failed (attempt {Attempt}); retrying", Id, action.Kind, action.TicketId, action.Attempts);
                    break;
                }

                row.State.Pending.Remove(action);
                done++;
            }
        }
        finally
        {
            draining = false;
        }

        if (done > 0)
        {
            try
            {
                await SaveStateAsync([]);
            }
            catch (Exception ex)
            {
                // The work is done and idempotent; the list is saved with the next change.
                logger.LogDebug(ex, "System {System}: could not save the drained action list", Id);
            }
        }
    }

    private async Task ExecuteAsync(TicketAction action)
    {
        var ticket = GrainFactory.GetGrain<ITicketGrain>(action.TicketId);
        var actor = Actor.System("Monitoring");
        switch (action.Kind)
        {
            case TicketActionKind.Create:
                var created = await ticket.Create(new CreateTicket
                {
                    AccountId = row!.AccountId,
                    RequesterId = "monitoring",
                    Channel = TicketChannel.Monitoring,
                    Type = "incident",
                    Priority = action.Priority,
                    Subject = action.Subject ?? "Monitoring incident",
                    Description = action.Body ?? "",
                    Tags = ["monitoring", Id],
                    ExternalReferences = [new ExternalReference(MonitoringReferences.System, SystemKeys.IncidentId(Id, action.Incident), null)],
                    ReceivedAt = action.At,
                    Actor = actor,
                    Group = action.Group,
                    GroupReason = action.Group is null ? null : "monitoring alert rules",
                });
                if (action.Group is { } group && created.Group != group)
                {
                    // The ticket existed before (a retried create from an older version): hand it over now.
                    await ticket.Assign(new AssignTicket { Actor = actor, Group = group, Reason = "monitoring alert rules" });
                }

                if (action.Notify is { Count: > 0 } notify && services.GetService<INotifier>() is { } notifier)
                {
                    // The event key is the incident: a retried action (after a crash or an outage) tells no one twice.
                    await notifier.NotifyAsync(new StaffNotification(
                        $"monitoring/{Id}/incident/{action.Incident}",
                        NotificationEventType.NewTicket,
                        $"{created.Priority.ToString().ToLowerInvariant()} monitoring incident #{created.Id} on {row!.Name}: {created.Subject}",
                        $"{action.Body}\n\nYou are told because the monitoring alert rules of {row.AccountId} name you.")
                    {
                        Recipients = notify,
                        TicketId = created.Id,
                        Urgent = created.Priority == SupportPlatform.Core.Priority.Critical,
                    });
                }

                break;
            case TicketActionKind.Note:
                await ticket.AddComment(new AddComment { Actor = actor, Visibility = CommentVisibility.Internal, Body = action.Body ?? "", CommentId = "mon-" + action.Id, Channel = TicketChannel.Monitoring });
                break;
            case TicketActionKind.Resolve:
                if (await ticket.Get() is { Status: not (TicketStatus.Resolved or TicketStatus.Closed) })
                {
                    await ticket.ChangeStatus(new ChangeStatus { Actor = actor, To = TicketStatus.Resolved, Note = action.Body });
                }

                break;
            case TicketActionKind.AcknowledgeAtSource:
                await ticket.AddComment(new AddComment
                {
                    Actor = actor,
                    Visibility = CommentVisibility.Internal,
                    Body = await AcknowledgeAtSourceAsync(action),
                    CommentId = "mon-" + action.Id,
                    Channel = TicketChannel.Monitoring,
                });
                break;
        }
    }

    private async Task<string> AcknowledgeAtSourceAsync(TicketAction action)
    {
        if (!row!.State.Checks.TryGetValue(action.Check ?? "", out var check))
        {
            return $"Nothing to acknowledge for {CheckName(action.Check ?? "")}.";
        }

        var capabilities = services.GetService<IPluginCapabilities>();
        var acknowledger = capabilities?.Get<IMonitoringAcknowledger>().FirstOrDefault(a => string.Equals(a.Instance.Source, check.Source, StringComparison.OrdinalIgnoreCase));
        if (capabilities is null || acknowledger is null)
        {
            return $"{CheckName(action.Check ?? "")}: no plugin acknowledges '{check.Source}' alerts; acknowledge it there by hand.";
        }

        var alert = new MonitoringAlert
        {
            Source = check.Source,
            System = check.HostName,
            Check = action.Check ?? "",
            State = check.State,
            Category = check.Category,
            DedupKey = check.DedupKey,
            OccurredAt = check.Since,
            Summary = check.Summary,
            Details = check.Details,
            Link = check.Link,
            Attributes = check.Attributes,
        };
        var request = new AlertAcknowledgement(alert, action.Author ?? "staff", $"Acknowledged in ticket #{action.TicketId} by {action.Author}", action.At + TimeSpan.FromHours(24));
        var outcome = await capabilities.InvokeAsync(acknowledger, (a, ct) => a.AcknowledgeAsync(request, ct), CancellationToken.None);
        return outcome.Succeeded
            ? $"Acknowledged at {check.Source} ({CheckName(action.Check ?? "")}): {outcome.Value}"
            : $"Acknowledging {CheckName(action.Check ?? "")} at {check.Source} failed: {outcome.Error}";
    }

    private async Task SaveStateAsync(IReadOnlyList<Sql> more)
    {
        var statements = new List<Sql> { MonitoringStore.StateUpdate(Id, row!.State, Status(row.State), row.Version, clock.GetUtcNow()) };
        statements.AddRange(more);
        try
        {
            await writer.WriteAsync(new WriteUnit(statements, 0));
        }
        catch (MonitoringConflictException)
        {
            row = await store.LoadSystemAsync(Id) ?? row;
            throw;
        }

        row = row with { Version = row.Version + 1 };
        Changed();
    }

    /// <summary>Tells the live dashboards (after the change is stored); a one-way call, it never delays or fails the caller.</summary>
    private void Changed()
    {
        try
        {
            _ = GrainFactory.GetGrain<IDashboardFeedGrain>(0).Publish(new DashboardChange(Id, row!.AccountId, Status(row.State), clock.GetUtcNow()));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogDebug(ex, "System {System}: could not tell the live dashboards", Id);
        }
    }

    private async Task ReadSettingsAsync(CancellationToken cancellationToken)
    {
        accountRules = await store.AccountRulesAsync(row!.AccountId, cancellationToken);
        maintenance = await store.MaintenanceAsync(Id, clock.GetUtcNow() - TimeSpan.FromDays(1), cancellationToken);
        if (await GrainFactory.GetGrain<IClientAccountGrain>(AccountKeys.Grain(row.AccountId)).Get() is { } account
            && TimeZoneInfo.TryFindSystemTimeZoneById(account.TimeZone, out var found))
        {
            zone = found;
        }

        rulesReadAt = clock.GetUtcNow();
    }

    private void Remember(string key)
    {
        if (seen.Add(key))
        {
            seenOrder.Enqueue(key);
            if (seenOrder.Count > RememberedKeys)
            {
                seen.Remove(seenOrder.Dequeue());
            }
        }
    }

    private static AlertState Status(SystemState state) =>
        state.Checks.Values.Any(c => c.State == AlertState.Critical) ? AlertState.Critical
        : state.Checks.Values.Any(c => c.State == AlertState.Warning) ? AlertState.Warning
        : state.Checks.Values.Any(c => c.State == AlertState.Unknown) ? AlertState.Unknown
        : AlertState.Ok;

    private SystemView View()
    {
        var now = clock.GetUtcNow();
        return new SystemView
        {
            Id = Id,
            AccountId = row!.AccountId,
            Name = row.Name,
            HostNames = row.HostNames,
            Status = Status(row.State),
            Checks = row.State.Checks.OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => new CheckView(c.Key, c.Value.State, c.Value.Category, c.Value.Source, c.Value.Since, c.Value.LastSeen,
                    c.Value.Details is { Length: > 0 } d ? c.Value.Summary + "\n" + d : c.Value.Summary, c.Value.Link, c.Value.Flapping, c.Value.Alerts))
                .ToList(),
            OpenIncident = row.State.Incident is { } i ? IncidentView(i, "open", null) : null,
            Rules = row.Rules,
            InMaintenance = maintenance.Any(m => m.StartsAt <= now && now < m.EndsAt),
            Version = row.Version,
        };
    }

    private IncidentView IncidentView(IncidentState i, string status, DateTimeOffset? resolvedAt) => new()
    {
        Id = SystemKeys.IncidentId(Id, i.Number),
        SystemId = Id,
        AccountId = row!.AccountId,
        TicketId = i.TicketId,
        Status = status,
        Category = i.Category,
        Summary = i.Summary,
        Checks = i.Checks,
        Alerts = i.Alerts,
        OpenedAt = i.OpenedAt,
        AcknowledgedAt = i.AcknowledgedAt,
        ResolvedAt = resolvedAt,
    };
}

/// <summary>How monitoring incidents are referenced on their tickets.</summary>
internal static class MonitoringReferences
{
    /// <summary>The <see cref="ExternalReference.System"/> of a ticket's incident reference ("&lt;system&gt;#&lt;number&gt;").</summary>
    public const string System = "monitoring";
}
