using System.Data.Common;
using System.Text.Json;
using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Email.Inbound;

/// <summary>A row of <c>sp_inbound_mail</c> without the raw bytes.</summary>
internal sealed class InboundRow
{
    public string Id { get; set; } = "";
    public string ImportKey { get; set; } = "";
    public string SourceId { get; set; } = "";
    public string? SourceKey { get; set; }
    public string? MessageId { get; set; }
    public string? FromAddress { get; set; }
    public string? EnvelopeFrom { get; set; }
    public string? Subject { get; set; }
    public long Size { get; set; }
    public long? OriginalSize { get; set; }
    public long ReceivedAtMs { get; set; }
    public long StoredAtMs { get; set; }
    public string State { get; set; } = "";
    public string? Plan { get; set; }
    public long? TicketId { get; set; }
    public string? AccountId { get; set; }
    public string? Disposition { get; set; }
    public string? Reason { get; set; }
    public string? Hold { get; set; }
    public string? IgnoreHold { get; set; }
    public string? ResolvedBy { get; set; }
    public long? ResolvedAtMs { get; set; }
    public long? ProcessedAtMs { get; set; }

    public DateTimeOffset ReceivedAt => DateTimeOffset.FromUnixTimeMilliseconds(ReceivedAtMs);
}

/// <summary>What processing decided for a message, stored before any ticket change so that a re-run repeats it.</summary>
internal sealed record InboundPlan
{
    /// <summary>create, comment, triage, hold or ignore.</summary>
    public required string Kind { get; init; }
    public long? TicketId { get; init; }
    public string? AccountId { get; init; }
    public string? RequesterId { get; init; }
    public string? ActorName { get; init; }
    public string? Type { get; init; }
    public SupportPlatform.Core.Priority Priority { get; init; } = SupportPlatform.Core.Priority.Normal;

    /// <summary>An internal note for staff on the ticket (e.g. why a token was not honoured).</summary>
    public string? Note { get; init; }

    /// <summary>For hold: the quarantine reason code (oversized, attachment-limit, loop, suspicious, unparseable).</summary>
    public string? Hold { get; init; }
    public string? Reason { get; init; }

    /// <summary>Whether an acknowledgement / rejection may be sent (not automatic mail).</summary>
    public bool MayAnswer { get; init; }
}

/// <summary>Data access for inbound mail.</summary>
internal sealed class InboundStore(IDatabase database)
{
    public const string Columns = """
        id AS Id, import_key AS ImportKey, source_id AS SourceId, source_key AS SourceKey, message_id AS MessageId,
        from_address AS FromAddress, envelope_from AS EnvelopeFrom, subject AS Subject, size AS Size, original_size AS OriginalSize,
        received_at_ms AS ReceivedAtMs, stored_at_ms AS StoredAtMs, state AS State, plan AS Plan, ticket_id AS TicketId,
        account_id AS AccountId, disposition AS Disposition, reason AS Reason, hold AS Hold, ignore_hold AS IgnoreHold,
        resolved_by AS ResolvedBy, resolved_at_ms AS ResolvedAtMs, processed_at_ms AS ProcessedAtMs
        """;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public IDatabase Database => database;

    /// <summary>Stores a new message; false when its import key is there already.</summary>
    public async Task<bool> InsertAsync(object row, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_inbound_mail (id, import_key, source_id, source_key, message_id, thread_index, from_address, envelope_from, subject,
                size, original_size, raw, received_at_ms, stored_at_ms, state, plan, ticket_id, account_id)
            VALUES (@id, @import_key, @source_id, @source_key, @message_id, @thread_index, @from_address, @envelope_from, @subject,
                @size, @original_size, @raw, @received_at_ms, @stored_at_ms, 'stored', @plan, @ticket_id, @account_id)
            ON CONFLICT (import_key) DO NOTHING
            """,
            row,
            cancellationToken: cancellationToken));
        return inserted == 1;
    }

    public async Task<InboundRow?> FindAsync(string? id, string? importKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<InboundRow>(new CommandDefinition(
            $"SELECT {Columns} FROM sp_inbound_mail WHERE {(id is not null ? "id = @id" : "import_key = @importKey")}",
            new { id, importKey }, cancellationToken: cancellationToken));
    }

    public async Task<byte[]?> RawAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<byte[]>(new CommandDefinition(
            "SELECT raw FROM sp_inbound_mail WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<string>> UnprocessedAsync(long storedBeforeMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM sp_inbound_mail WHERE state = 'stored' AND stored_at_ms <= @storedBeforeMs ORDER BY stored_at_ms LIMIT 1000",
            new { storedBeforeMs }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>
    /// Records the plan if the stored one is still <paramref name="previous"/> (null: none yet), so that of two concurrent
    /// runs only one plan (and one ticket number) wins; returns the plan in force.
    /// </summary>
    public async Task<InboundPlan> PlanAsync(string id, InboundPlan plan, string? previous, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var json = JsonSerializer.Serialize(plan, Json);
        if (json != previous)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE sp_inbound_mail SET plan = @json, ticket_id = @ticket, account_id = @account WHERE id = @id AND state = 'stored' AND {(previous is null ? "plan IS NULL" : "plan = @previous")}",
                new { id, json, previous, ticket = plan.TicketId, account = plan.AccountId }, cancellationToken: cancellationToken));
        }

        var stored = await connection.QuerySingleAsync<string?>(new CommandDefinition(
            "SELECT plan FROM sp_inbound_mail WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return stored is null ? plan : JsonSerializer.Deserialize<InboundPlan>(stored, Json)!;
    }

    /// <summary>
    /// Marks the message processed with its outcome, in <paramref name="transaction"/>; false when it was processed
    /// already (another node or an earlier run), in which case the caller writes nothing else.
    /// </summary>
    public static async Task<bool> FinishAsync(DbTransaction transaction, string id, string disposition, string? reason, string? hold, long? ticketId, string? accountId, long nowMs)
    {
        var changed = await transaction.Connection!.ExecuteAsync(
            """
            UPDATE sp_inbound_mail SET state = 'done', disposition = @disposition, reason = @reason, hold = @hold,
                ticket_id = @ticketId, account_id = @accountId, processed_at_ms = @nowMs
            WHERE id = @id AND state = 'stored'
            """,
            new { id, disposition, reason, hold, ticketId, accountId, nowMs },
            transaction);
        return changed == 1;
    }

    /// <summary>Counts one automatic answer to <paramref name="address"/>; false when the limit for the window is reached.</summary>
    public static async Task<bool> TryCountAutoReplyAsync(DbTransaction transaction, string address, int limit, long windowMs, long nowMs)
    {
        if (limit <= 0)
        {
            return false;
        }

        // One statement (both back-ends have this upsert): a new address counts its first answer, an expired window
        // starts again at one, otherwise one more while under the limit; no row changes (0) when the limit is reached.
        return await transaction.Connection!.ExecuteAsync(
            """
            INSERT INTO sp_mail_addresses (address, bounce_count, auto_reply_window_ms, auto_reply_count) VALUES (@address, 0, @nowMs, 1)
            ON CONFLICT (address) DO UPDATE SET
                auto_reply_count = CASE WHEN sp_mail_addresses.auto_reply_window_ms + @windowMs <= @nowMs THEN 1 ELSE sp_mail_addresses.auto_reply_count + 1 END,
                auto_reply_window_ms = CASE WHEN sp_mail_addresses.auto_reply_window_ms + @windowMs <= @nowMs THEN @nowMs ELSE sp_mail_addresses.auto_reply_window_ms END
            WHERE sp_mail_addresses.auto_reply_window_ms + @windowMs <= @nowMs OR sp_mail_addresses.auto_reply_count < @limit
            """,
            new { address, limit, windowMs, nowMs }, transaction) == 1;
    }

    public static async Task MarkBouncedAsync(DbTransaction transaction, BounceRecipient bounce, long nowMs)
    {
        var connection = transaction.Connection!;
        await connection.ExecuteAsync(
            """
            INSERT INTO sp_mail_addresses (address, bounce_count, auto_reply_window_ms, auto_reply_count) VALUES (@Address, 0, @nowMs, 0)
            ON CONFLICT (address) DO NOTHING
            """, new { bounce.Address, nowMs }, transaction);
        await connection.ExecuteAsync(
            """
            UPDATE sp_mail_addresses SET bounced_at_ms = @nowMs, bounce_status = @Status, bounce_reason = @Diagnostic, bounce_count = bounce_count + 1
            WHERE address = @Address
            """, new { bounce.Address, bounce.Status, bounce.Diagnostic, nowMs }, transaction);
    }

    /// <summary>The ticket of the first of <paramref name="messageIds"/> the platform received (and imported to a ticket) or sent.</summary>
    public async Task<long?> TicketOfMessageIdsAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        if (messageIds.Count == 0)
        {
            return null;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var ids = messageIds.ToArray();
        var received = (await connection.QueryAsync<(string, long)>(new CommandDefinition(
            $"SELECT message_id, ticket_id FROM sp_inbound_mail WHERE message_id {database.InList("ids")} AND ticket_id IS NOT NULL AND state = 'done' AND disposition IN ('ticket-created', 'comment-added')",
            new { ids }, cancellationToken: cancellationToken))).ToList();
        var sent = (await connection.QueryAsync<(string, string?)>(new CommandDefinition(
            $"SELECT message_id, headers FROM sp_mail_outbox WHERE message_id {database.InList("ids")}",
            new { ids }, cancellationToken: cancellationToken))).ToList();
        foreach (var id in messageIds)
        {
            if (received.FirstOrDefault(r => r.Item1 == id) is { Item1: not null } hit)
            {
                return hit.Item2;
            }

            if (sent.FirstOrDefault(s => s.Item1 == id) is { Item1: not null, Item2: { } headers }
                && JsonSerializer.Deserialize<Dictionary<string, string>>(headers) is { } map
                && map.FirstOrDefault(h => string.Equals(h.Key, "X-SupportPlatform-Ticket", StringComparison.OrdinalIgnoreCase)).Value is { } ticket
                && long.TryParse(ticket, System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                return number;
            }
        }

        return null;
    }

    public async Task<long?> TicketOfThreadIndexAsync(string root, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT ticket_id FROM sp_inbound_mail WHERE thread_index = @root AND ticket_id IS NOT NULL AND state = 'done' AND disposition IN ('ticket-created', 'comment-added') ORDER BY stored_at_ms LIMIT 1",
            new { root }, cancellationToken: cancellationToken));
    }
}
