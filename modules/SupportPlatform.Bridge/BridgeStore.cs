using System.Data.Common;
using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Bridge;

/// <summary>An import's progress row (<c>sp_bridge_imports</c>).</summary>
internal sealed record ImportProgress
{
    public required string System { get; init; }
    public required string State { get; init; }
    public required string Phase { get; init; }
    public string? Cursor { get; init; }
    public DateTimeOffset Since { get; init; }
    public long Organizations { get; init; }
    public long Users { get; init; }
    public long Tickets { get; init; }
    public long Comments { get; init; }
    public long Attachments { get; init; }
    public long Skipped { get; init; }
    public DateTimeOffset? WaitingUntil { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>A bridged ticket with the values both sides last agreed on (<c>sp_bridge_tickets</c>).</summary>
internal sealed record BridgedTicket(string System, string ExternalId, long TicketId, string BaseStatus, string BaseAssignee, DateTimeOffset ExternalUpdatedAt);

/// <summary>A due row of the sync queue.</summary>
internal sealed record QueueItem(string System, string Direction, string Ref, long Generation, int Attempts, long NextAtMs);

/// <summary>The bridge's tables: links, bridged tickets, import progress, the sync queue.</summary>
internal sealed class BridgeStore(IDatabase database, TimeProvider clock)
{
    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<string?> FindLocalAsync(string system, string kind, string externalId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT local_id FROM sp_bridge_links WHERE system = @system AND kind = @kind AND external_id = @externalId",
            new { system, kind, externalId }, cancellationToken: ct));
    }

    public async Task<string?> FindExternalAsync(string system, string kind, string localId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT external_id FROM sp_bridge_links WHERE system = @system AND kind = @kind AND local_id = @localId",
            new { system, kind, localId }, cancellationToken: ct));
    }

    /// <summary>Records a link; an existing link of the external record wins (and is returned).</summary>
    public async Task<string> LinkAsync(string system, string kind, string externalId, string localId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_bridge_links (system, kind, external_id, local_id, created_at_ms) VALUES (@system, @kind, @externalId, @localId, @now)
            ON CONFLICT (system, kind, external_id) DO NOTHING
            """,
            new { system, kind, externalId, localId, now = Now }, cancellationToken: ct));
        return (await connection.QuerySingleAsync<string>(new CommandDefinition(
            "SELECT local_id FROM sp_bridge_links WHERE system = @system AND kind = @kind AND external_id = @externalId",
            new { system, kind, externalId }, cancellationToken: ct)))!;
    }

    public async Task<long> CountLinksAsync(string system, string kind, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM sp_bridge_links WHERE system = @system AND kind = @kind", new { system, kind }, cancellationToken: ct));
    }

    public async Task<BridgedTicket?> FindTicketAsync(string system, string externalId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string, string, long, string, string, long)?>(new CommandDefinition(
            "SELECT system, external_id, ticket_id, base_status, base_assignee, external_updated_at_ms FROM sp_bridge_tickets WHERE system = @system AND external_id = @externalId",
            new { system, externalId }, cancellationToken: ct));
        return row is { } r ? new BridgedTicket(r.Item1, r.Item2, r.Item3, r.Item4, r.Item5, DateTimeOffset.FromUnixTimeMilliseconds(r.Item6)) : null;
    }

    public async Task<BridgedTicket?> FindTicketByLocalAsync(long ticketId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string, string, long, string, string, long)?>(new CommandDefinition(
            "SELECT system, external_id, ticket_id, base_status, base_assignee, external_updated_at_ms FROM sp_bridge_tickets WHERE ticket_id = @ticketId",
            new { ticketId }, cancellationToken: ct));
        return row is { } r ? new BridgedTicket(r.Item1, r.Item2, r.Item3, r.Item4, r.Item5, DateTimeOffset.FromUnixTimeMilliseconds(r.Item6)) : null;
    }

    public async Task SaveTicketAsync(BridgedTicket ticket, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_bridge_tickets (system, external_id, ticket_id, base_status, base_assignee, external_updated_at_ms, synced_at_ms)
            VALUES (@System, @ExternalId, @TicketId, @BaseStatus, @BaseAssignee, @updated, @now)
            ON CONFLICT (system, external_id) DO UPDATE SET base_status = excluded.base_status, base_assignee = excluded.base_assignee,
                external_updated_at_ms = excluded.external_updated_at_ms, synced_at_ms = excluded.synced_at_ms
            """,
            new { ticket.System, ticket.ExternalId, ticket.TicketId, ticket.BaseStatus, ticket.BaseAssignee, updated = ticket.ExternalUpdatedAt.ToUnixTimeMilliseconds(), now = Now },
            cancellationToken: ct));
    }

    /// <summary>Queues a ticket for synchronisation (a repeat bumps the waiting row's generation and makes it due now).</summary>
    public static Task EnqueueAsync(DbConnection connection, DbTransaction? transaction, string system, string direction, string reference, long now, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_bridge_queue (system, direction, ref, generation, attempts, next_at_ms, last_error, enqueued_at_ms)
            VALUES (@system, @direction, @reference, 1, 0, @now, NULL, @now)
            ON CONFLICT (system, direction, ref) DO UPDATE SET generation = sp_bridge_queue.generation + 1, next_at_ms = @now
            """,
            new { system, direction, reference, now }, transaction, cancellationToken: ct));

    public async Task EnqueueAsync(string system, string direction, string reference, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await EnqueueAsync(connection, null, system, direction, reference, Now, ct);
    }

    /// <summary>Due rows, claimed for <paramref name="lease"/> (another node skips them meanwhile).</summary>
    public async Task<IReadOnlyList<QueueItem>> ClaimDueAsync(int limit, TimeSpan lease, CancellationToken ct)
    {
        var now = Now;
        await using var connection = await database.OpenConnectionAsync(ct);
        var due = (await connection.QueryAsync<(string, string, string, long, int, long)>(new CommandDefinition(
            $"SELECT system, direction, ref, generation, attempts, next_at_ms FROM sp_bridge_queue WHERE next_at_ms <= @now ORDER BY next_at_ms LIMIT {limit}",
            new { now }, cancellationToken: ct))).ToList();
        var claimed = new List<QueueItem>();
        foreach (var (system, direction, reference, generation, attempts, nextAt) in due)
        {
            var taken = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_bridge_queue SET next_at_ms = @until WHERE system = @system AND direction = @direction AND ref = @reference AND next_at_ms = @nextAt",
                new { until = now + (long)lease.TotalMilliseconds, system, direction, reference, nextAt }, cancellationToken: ct));
            if (taken == 1)
            {
                claimed.Add(new QueueItem(system, direction, reference, generation, attempts, nextAt));
            }
        }

        return claimed;
    }

    /// <summary>Done: removes the row unless it was queued again meanwhile (then it is due again at once).</summary>
    public async Task CompleteAsync(QueueItem item, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sp_bridge_queue WHERE system = @System AND direction = @Direction AND ref = @Ref AND generation = @Generation",
            item, cancellationToken: ct));
        if (deleted == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_bridge_queue SET next_at_ms = @now, attempts = 0, last_error = NULL WHERE system = @System AND direction = @Direction AND ref = @Ref",
                new { now = Now, item.System, item.Direction, item.Ref }, cancellationToken: ct));
        }
    }

    public async Task FailAsync(QueueItem item, string error, DateTimeOffset next, bool countAttempt, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_bridge_queue SET attempts = attempts + @add, last_error = @error, next_at_ms = @next WHERE system = @System AND direction = @Direction AND ref = @Ref",
            new { add = countAttempt ? 1 : 0, error, next = next.ToUnixTimeMilliseconds(), item.System, item.Direction, item.Ref }, cancellationToken: ct));
    }

    /// <summary>Makes waiting queue rows of a help desk due now (all, or the one of <paramref name="direction"/> and <paramref name="reference"/>); their attempts and last error stay until the next try. Returns how many.</summary>
    public async Task<int> RetryNowAsync(string system, string? direction, string? reference, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sp_bridge_queue SET next_at_ms = @now
            WHERE system = @system AND next_at_ms > @now AND (@direction IS NULL OR direction = @direction) AND (@reference IS NULL OR ref = @reference)
            """,
            new { now = Now, system, direction, reference }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<(string Direction, string Ref, int Attempts, string? LastError, DateTimeOffset NextAt)>> ListQueueAsync(string system, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string, string, int, string?, long)>(new CommandDefinition(
            "SELECT direction, ref, attempts, last_error, next_at_ms FROM sp_bridge_queue WHERE system = @system ORDER BY next_at_ms LIMIT 200",
            new { system }, cancellationToken: ct));
        return rows.Select(r => (r.Item1, r.Item2, r.Item3, r.Item4, DateTimeOffset.FromUnixTimeMilliseconds(r.Item5))).ToList();
    }

    public async Task<IReadOnlyList<ImportProgress>> ListImportsAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ImportRow>(new CommandDefinition($"SELECT {ImportColumns} FROM sp_bridge_imports ORDER BY system", cancellationToken: ct)))
            .Select(r => r.ToProgress()).ToList();
    }

    public async Task<ImportProgress?> FindImportAsync(string system, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<ImportRow>(new CommandDefinition(
            $"SELECT {ImportColumns} FROM sp_bridge_imports WHERE system = @system", new { system }, cancellationToken: ct)))?.ToProgress();
    }

    /// <summary>Starts (or restarts from <paramref name="since"/>) an import; a running one is left as it is.</summary>
    public async Task<ImportProgress> StartImportAsync(string system, DateTimeOffset since, bool restart, CancellationToken ct)
    {
        var now = Now;
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_bridge_imports (system, state, phase, cursor_value, since_ms, organizations, users, tickets, comments, attachments, skipped,
                                           waiting_until_ms, last_error, started_at_ms, updated_at_ms, finished_at_ms, lease_owner, lease_until_ms)
            VALUES (@system, 'running', 'organizations', NULL, @since, 0, 0, 0, 0, 0, 0, NULL, NULL, @now, @now, NULL, NULL, 0)
            ON CONFLICT (system) DO NOTHING
            """,
            new { system, since = since.ToUnixTimeMilliseconds(), now }, cancellationToken: ct));
        if (restart)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE sp_bridge_imports SET state = 'running', phase = 'organizations', cursor_value = NULL, since_ms = @since, waiting_until_ms = NULL,
                    last_error = NULL, started_at_ms = @now, updated_at_ms = @now, finished_at_ms = NULL
                WHERE system = @system
                """,
                new { system, since = since.ToUnixTimeMilliseconds(), now }, cancellationToken: ct));
        }
        else
        {
            // Resume a paused or failed import where it stood.
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_bridge_imports SET state = 'running', last_error = NULL, updated_at_ms = @now WHERE system = @system AND state IN ('paused', 'failed', 'idle')",
                new { system, now }, cancellationToken: ct));
        }

        return (await FindImportAsync(system, ct))!;
    }

    public async Task<bool> SetStateAsync(string system, string state, string? error, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_bridge_imports SET state = @state, last_error = @error, updated_at_ms = @now WHERE system = @system",
            new { system, state, error, now = Now }, cancellationToken: ct)) == 1;
    }

    /// <summary>Takes or renews the import's lease for this node; false when another node holds it.</summary>
    public async Task<bool> LeaseAsync(string system, string owner, TimeSpan lease, CancellationToken ct)
    {
        var now = Now;
        await using var connection = await database.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_bridge_imports SET lease_owner = @owner, lease_until_ms = @until WHERE system = @system AND (lease_owner = @owner OR lease_until_ms < @now OR lease_owner IS NULL)",
            new { system, owner, until = now + (long)lease.TotalMilliseconds, now }, cancellationToken: ct)) == 1;
    }

    public async Task ReleaseLeasesAsync(string owner, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_bridge_imports SET lease_owner = NULL, lease_until_ms = 0 WHERE lease_owner = @owner", new { owner }, cancellationToken: ct));
    }

    /// <summary>Stores the outcome of one page: the next phase and cursor and what the page brought.</summary>
    public async Task AdvanceAsync(string system, string phase, string? cursor, string state, ImportCounts counts, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sp_bridge_imports SET phase = @phase, cursor_value = @cursor, state = @state,
                organizations = organizations + @Organizations, users = users + @Users, tickets = tickets + @Tickets, comments = comments + @Comments,
                attachments = attachments + @Attachments, skipped = skipped + @Skipped, waiting_until_ms = NULL, last_error = NULL, updated_at_ms = @now,
                finished_at_ms = CASE WHEN @state = 'caught-up' AND finished_at_ms IS NULL THEN @now ELSE finished_at_ms END
            WHERE system = @system
            """,
            new { system, phase, cursor, state, counts.Organizations, counts.Users, counts.Tickets, counts.Comments, counts.Attachments, counts.Skipped, now = Now },
            cancellationToken: ct));
    }

    public async Task WaitAsync(string system, DateTimeOffset until, string reason, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_bridge_imports SET waiting_until_ms = @until, last_error = @reason, updated_at_ms = @now WHERE system = @system",
            new { system, until = until.ToUnixTimeMilliseconds(), reason, now = Now }, cancellationToken: ct));
    }

    private const string ImportColumns = """
        system AS System, state AS State, phase AS Phase, cursor_value AS Cursor, since_ms AS SinceMs, organizations AS Organizations, users AS Users,
        tickets AS Tickets, comments AS Comments, attachments AS Attachments, skipped AS Skipped, waiting_until_ms AS WaitingUntilMs,
        last_error AS LastError, started_at_ms AS StartedAtMs, updated_at_ms AS UpdatedAtMs, finished_at_ms AS FinishedAtMs
        """;

    private sealed class ImportRow
    {
        public string System { get; set; } = "";
        public string State { get; set; } = "";
        public string Phase { get; set; } = "";
        public string? Cursor { get; set; }
        public long SinceMs { get; set; }
        public long Organizations { get; set; }
        public long Users { get; set; }
        public long Tickets { get; set; }
        public long Comments { get; set; }
        public long Attachments { get; set; }
        public long Skipped { get; set; }
        public long? WaitingUntilMs { get; set; }
        public string? LastError { get; set; }
        public long StartedAtMs { get; set; }
        public long UpdatedAtMs { get; set; }
        public long? FinishedAtMs { get; set; }

        public ImportProgress ToProgress() => new()
        {
            System = System,
            State = State,
            Phase = Phase,
            Cursor = Cursor,
            Since = DateTimeOffset.FromUnixTimeMilliseconds(SinceMs),
            Organizations = Organizations,
            Users = Users,
            Tickets = Tickets,
            Comments = Comments,
            Attachments = Attachments,
            Skipped = Skipped,
            WaitingUntil = WaitingUntilMs is { } w ? DateTimeOffset.FromUnixTimeMilliseconds(w) : null,
            LastError = LastError,
            StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(StartedAtMs),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAtMs),
            FinishedAt = FinishedAtMs is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
        };
    }
}

/// <summary>What one page brought over.</summary>
internal sealed record ImportCounts
{
    public long Organizations { get; set; }
    public long Users { get; set; }
    public long Tickets { get; set; }
    public long Comments { get; set; }
    public long Attachments { get; set; }
    public long Skipped { get; set; }
}
