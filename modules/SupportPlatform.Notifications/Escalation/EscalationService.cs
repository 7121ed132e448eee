using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Notifications.Delivery;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Notifications.Escalation;

/// <summary>
/// Starts, runs and stops escalations. An escalation is a row of <c>sp_escalations</c> with a snapshot of its policy's
/// steps and one pending deadline (<c>notifications/escalations/&lt;id&gt;</c>) for its next step, written in the
/// trigger's transaction. A step runs once: its row in <c>sp_escalation_steps</c>, its notification (keyed by step) and
/// the scheduling of the next step commit together, so a restart neither loses nor repeats one. Each step and the
/// acknowledgement are recorded on the ticket as internal notes by the system (idempotent by comment id).
/// </summary>
internal sealed class EscalationService(
    IDatabase database,
    TimeProvider clock,
    IDeadlineScheduler scheduler,
    IGrainFactory grains,
    INotifier notifier,
    IOnCallDirectory onCall,
    NotificationOptions options,
    IDataProtectionProvider protection,
    ILogger<EscalationService> logger)
{
    public const string DefaultDutyManagerTeam = "duty-manager";
    private readonly ConcurrentQueue<DeadlineRequest> written = new();

    public string DutyManagerTeam { get; init; } = DefaultDutyManagerTeam;

    private ITimeLimitedDataProtector Protector => protection.CreateProtector("SupportPlatform.Notifications.EscalationAck").ToTimeLimitedDataProtector();

    /// <summary>The event key of a policy step's notification starts with this (<c>escalations/&lt;id&gt;/step/&lt;n&gt;</c>).</summary>
    public const string EventKeyPrefix = "escalations/";

    public static string DeadlineId(string escalationId) => $"notifications/escalations/{escalationId}";

    /// <summary>Starts the matching policy for <paramref name="ticket"/> in the trigger's transaction, unless one is already running for it.</summary>
    public async Task StartAsync(TicketView ticket, string triggerKey, string triggerKind, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        if (!NotificationJson.TryParseKebab<EscalationTrigger>(triggerKind, out var trigger))
        {
            return;
        }

        var running = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM sp_escalations WHERE ticket_id = @ticket AND status IN ('active', 'exhausted')", new { ticket = ticket.Id }, transaction, cancellationToken: cancellationToken));
        if (running > 0)
        {
            return;
        }

        var policy = await PolicyStore.FindAsync(connection, transaction, ticket.AccountId, ticket.Priority, trigger, cancellationToken);
        if (policy is null || policy.Steps.Count == 0)
        {
            return;
        }

        var id = "e" + Guid.NewGuid().ToString("N")[..16];
        var now = clock.GetUtcNow();
        var steps = policy.Steps.OrderBy(s => s.AfterMinutes).ToList();
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_escalations (id, ticket_id, trigger_key, trigger_kind, policy_id, steps, next_step, status, started_at_ms, updated_at_ms)
            VALUES (@id, @ticket, @key, @kind, @policy, @steps, 0, 'active', @now, @now)
            ON CONFLICT (trigger_key) DO NOTHING
            """,
            new { id, ticket = ticket.Id, key = triggerKey, kind = triggerKind, policy = policy.Id, steps = NotificationJson.Write(steps), now = now.ToUnixTimeMilliseconds() },
            transaction,
            cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return;
        }

        var deadline = Deadline(id, 0, now.AddMinutes(steps[0].AfterMinutes));
        await scheduler.WriteAsync(transaction, [deadline], [], cancellationToken);
        written.Enqueue(deadline);
        logger.LogInformation("Escalation {Escalation} started for ticket {Ticket} ({Trigger}) by policy {Policy}", id, ticket.Id, triggerKind, policy.Id);
    }

    /// <summary>Tells the scheduler about deadlines written in committed ticket transactions (a lost call only delays them to the next refresh).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = new List<DeadlineRequest>();
        while (written.TryDequeue(out var d))
        {
            batch.Add(d);
        }

        if (batch.Count > 0)
        {
            await scheduler.NotifyAsync(batch, cancellationToken);
        }
    }

    /// <summary>Ends the ticket's running escalations (it was resolved or closed).</summary>
    public async Task StopForTicketAsync(long ticketId, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var ids = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM sp_escalations WHERE ticket_id = @ticketId AND status IN ('active', 'exhausted')", new { ticketId }, transaction, cancellationToken: cancellationToken))).ToList();
        if (ids.Count == 0)
        {
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_escalations SET status = 'resolved', updated_at_ms = @now WHERE ticket_id = @ticketId AND status IN ('active', 'exhausted')",
            new { ticketId, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
        await scheduler.WriteAsync(transaction, [], [.. ids.Select(DeadlineId)], cancellationToken);
    }

    /// <summary>Runs step <paramref name="step"/> of escalation <paramref name="id"/> if it is still due (idempotent).</summary>
    public async Task RunStepAsync(string id, int step, CancellationToken cancellationToken)
    {
        var row = await GetAsync(id, cancellationToken);
        if (row is null || row.Status != "active" || row.NextStep != step)
        {
            return;
        }

        var steps = NotificationJson.Read<List<EscalationStep>>(row.Steps);
        var now = clock.GetUtcNow();
        var current = steps[step];
        var targets = new List<string>();
        var described = new List<string>();
        foreach (var target in current.Targets)
        {
            switch (target.Kind)
            {
                case EscalationTargetKind.User when target.UserId is { } user:
                    targets.Add(user);
                    described.Add(user);
                    break;
                case EscalationTargetKind.OnCall or EscalationTargetKind.DutyManager:
                    var team = target.Kind == EscalationTargetKind.DutyManager ? DutyManagerTeam : target.Team ?? "";
                    var who = (await onCall.WhoIsOnCallAsync(team, now, cancellationToken)).Where(a => a.UserId is not null).Select(a => a.UserId!).Distinct().ToList();
                    targets.AddRange(who);
                    described.Add(who.Count > 0 ? $"on call {team}: {string.Join(", ", who)}" : $"on call {team}: nobody");
                    break;
            }
        }

        targets = [.. targets.Distinct(StringComparer.Ordinal)];
        var level = step + 1;
        var note = $"Escalation step {level} of {steps.Count} ({row.TriggerKind}): notified {string.Join("; ", described)}.";

        // The ticket note first: it is idempotent by comment id, so a crash before the commit below only repeats it harmlessly.
        await grains.GetGrain<ITicketGrain>(row.TicketId).AddComment(new AddComment
        {
            Actor = Actor.System("escalation"),
            Visibility = CommentVisibility.Internal,
            Body = note,
            CommentId = $"escalation-{id}-step-{level}",
        });

        DeadlineRequest? next = null;
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var ran = await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sp_escalation_steps (escalation_id, step, ran_at_ms, targets) VALUES (@id, @step, @now, @targets) ON CONFLICT (escalation_id, step) DO NOTHING",
                new { id, step, now = now.ToUnixTimeMilliseconds(), targets = string.Join(",", targets) }, transaction, cancellationToken: cancellationToken));
            if (ran == 0)
            {
                return;
            }

            if (targets.Count > 0)
            {
                await notifier.NotifyAsync(new StaffNotification($"{EventKeyPrefix}{id}/step/{level}", NotificationEventType.Escalation,
                    $"Escalation {level}/{steps.Count}: ticket #{row.TicketId} needs you",
                    $"Ticket #{row.TicketId} ({row.TriggerKind}) is not acknowledged.")
                {
                    Recipients = targets, TicketId = row.TicketId, Urgent = true, Channels = current.Channels,
                    Link = AckLink(id, targets[0]),
                }, transaction, cancellationToken);
            }

            var started = DateTimeOffset.FromUnixTimeMilliseconds(row.StartedAtMs);
            if (step + 1 < steps.Count)
            {
                next = Deadline(id, step + 1, started.AddMinutes(steps[step + 1].AfterMinutes));
                await scheduler.WriteAsync(transaction, [next], [], cancellationToken);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_escalations SET next_step = @nextStep, status = @status, updated_at_ms = @now WHERE id = @id AND status = 'active'",
                new { id, nextStep = step + 1, status = next is null ? "exhausted" : "active", now = now.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }

        notifier.Wake();
        if (next is not null)
        {
            await scheduler.NotifyAsync([next], cancellationToken);
        }
    }

    /// <summary>Acknowledges escalation <paramref name="id"/>: no further step runs. False when it is unknown or no longer running.</summary>
    public async Task<bool> AcknowledgeAsync(string id, string by, string via, CancellationToken cancellationToken)
    {
        var row = await GetAsync(id, cancellationToken);
        if (row is null || row.Status is not ("active" or "exhausted"))
        {
            return false;
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_escalations SET status = 'acknowledged', ack_by = @by, ack_via = @via, ack_at_ms = @now, updated_at_ms = @now WHERE id = @id AND status IN ('active', 'exhausted')",
                new { id, by, via, now }, transaction, cancellationToken: cancellationToken));
            if (updated == 0)
            {
                return false;
            }

            await scheduler.WriteAsync(transaction, [], [DeadlineId(id)], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await grains.GetGrain<ITicketGrain>(row.TicketId).AddComment(new AddComment
        {
            Actor = Actor.System("escalation"),
            Visibility = CommentVisibility.Internal,
            Body = $"Escalation acknowledged by {by} ({via}); no further steps.",
            CommentId = $"escalation-{id}-ack",
        });
        return true;
    }

    /// <summary>The escalation a notification's event key belongs to (<c>escalations/&lt;id&gt;/step/&lt;n&gt;</c>), or null.</summary>
    public static string? EscalationOfEventKey(string eventKey)
    {
        var parts = eventKey.Split('/');
        return parts.Length == 4 && parts[0] == "escalations" && parts[2] == "step" && parts[1].Length > 0 ? parts[1] : null;
    }

    public string? AckLink(string id, string user) =>
        options.PublicUrl is { Length: > 0 } url ? $"{url.TrimEnd('/')}/ack/{AckToken(id, user)}" : $"/ack/{AckToken(id, user)}";

    public string AckToken(string id, string user) => Protector.Protect($"{id}|{user}", options.AckLinkLifetime);

    /// <summary>The escalation and user a link's token names, or null when it is forged or expired.</summary>
    public (string Id, string User)? ReadToken(string token)
    {
        try
        {
            var parts = Protector.Unprotect(token, out _).Split('|', 2);
            return parts.Length == 2 ? (parts[0], parts[1]) : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    public async Task<EscalationRow?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<EscalationRow>(new CommandDefinition(
            Select + " WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<EscalationRow>> ListAsync(long? ticketId, string? status, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<EscalationRow>(new CommandDefinition(
            Select + " WHERE (@ticketId IS NULL OR ticket_id = @ticketId) AND (@status IS NULL OR status = @status) ORDER BY started_at_ms DESC LIMIT 200",
            new { ticketId, status }, cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<(int Step, long RanAtMs, string Targets)>> StepsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<(int, long, string)>(new CommandDefinition(
            "SELECT step, ran_at_ms, targets FROM sp_escalation_steps WHERE escalation_id = @id ORDER BY step", new { id }, cancellationToken: cancellationToken))];
    }

    private const string Select = """
        SELECT id AS Id, ticket_id AS TicketId, trigger_kind AS TriggerKind, policy_id AS PolicyId, steps AS Steps, next_step AS NextStep, status AS Status,
               started_at_ms AS StartedAtMs, ack_by AS AckBy, ack_via AS AckVia, ack_at_ms AS AckAtMs
        FROM sp_escalations
        """;

    private DeadlineRequest Deadline(string id, int step, DateTimeOffset due) =>
        new(DeadlineId(id), due, grains.GetGrain<IEscalationGrain>("esc-" + id).GetGrainId(), "escalation.step", step.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>One row of <c>sp_escalations</c>.</summary>
internal sealed class EscalationRow
{
    public string Id { get; set; } = "";
    public long TicketId { get; set; }
    public string TriggerKind { get; set; } = "";
    public string PolicyId { get; set; } = "";
    public string Steps { get; set; } = "";
    public int NextStep { get; set; }
    public string Status { get; set; } = "";
    public long StartedAtMs { get; set; }
    public string? AckBy { get; set; }
    public string? AckVia { get; set; }
    public long? AckAtMs { get; set; }
}
