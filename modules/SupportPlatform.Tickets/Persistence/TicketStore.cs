using System.Data.Common;
using System.Text.Json;
using Dapper;
using Orleans.Serialization;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Grains;

namespace SupportPlatform.Tickets.Persistence;

/// <summary>
/// Reads and writes a ticket's row (read-model columns + the grain's state) and its events, in one transaction
/// with an optimistic version check, so the grain and the read model cannot disagree after a crash.
/// </summary>
internal sealed class TicketStore(IDatabase database, Serializer<TicketState> serializer, TimeProvider clock)
{
    public async Task<(TicketState State, long Version)?> LoadAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<StateRow>(
            new CommandDefinition("SELECT version, state FROM sp_tickets WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : (serializer.Deserialize(row.State)!, row.Version);
    }

    /// <summary>Allocates the next ticket number (from 1001).</summary>
    public async Task<long> AllocateNumberAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            // PostgreSQL: the table's sequence alone. nextval is never rolled back and needs no durable commit of its own,
            // so allocating costs no extra disk flush per ticket. SQLite: a row, whose AUTOINCREMENT is the sequence.
            database.Provider == DatabaseProvider.PostgreSql
                ? "SELECT nextval(pg_get_serial_sequence('sp_ticket_ids', 'id'))"
                : "INSERT INTO sp_ticket_ids (allocated_at_ms) VALUES (@now) RETURNING id",
            new { now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Stores <paramref name="state"/> and appends <paramref name="events"/>; <paramref name="expectedVersion"/> 0 means
    /// "must not exist yet". <paramref name="inTransaction"/> runs in the same transaction (e.g. scheduling deadlines).
    /// Returns the new version. Throws <see cref="TicketConcurrencyException"/> when the row changed meanwhile.
    /// </summary>
    public async Task<long> SaveAsync(
        TicketState state,
        long expectedVersion,
        IReadOnlyList<TicketEvent> events,
        TicketProjection projection,
        Func<DbConnection, DbTransaction, Task>? inTransaction = null,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = new
        {
            id = state.Id,
            account_id = state.AccountId,
            requester_id = state.RequesterId,
            channel = TicketJson.Name(state.Channel),
            type = state.Type,
            priority = (int)state.Priority,
            status = TicketJson.Name(state.Status),
            subject = state.Subject,
            group_name = state.Group,
            agent_id = state.AgentId,
            tags = state.Tags.Count == 0 ? "" : "|" + string.Join('|', state.Tags) + "|",
            escalation_level = state.EscalationLevel,
            merged_into = state.MergedInto,
            created_at_ms = state.CreatedAt.ToUnixTimeMilliseconds(),
            updated_at_ms = state.UpdatedAt.ToUnixTimeMilliseconds(),
            first_response_at_ms = state.FirstResponseAt?.ToUnixTimeMilliseconds(),
            resolved_at_ms = state.ResolvedAt?.ToUnixTimeMilliseconds(),
            closed_at_ms = state.ClosedAt?.ToUnixTimeMilliseconds(),
            next_due_at_ms = projection.NextDueAt?.ToUnixTimeMilliseconds(),
            breached = projection.Breached ? 1 : 0,
            expected = expectedVersion,
            version = expectedVersion + 1,
            state = serializer.SerializeToArray(state),
        };

        var changed = expectedVersion == 0
            ? await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO sp_tickets (id, account_id, requester_id, channel, type, priority, status, subject, group_name, agent_id,
                    tags, escalation_level, merged_into, created_at_ms, updated_at_ms, first_response_at_ms, resolved_at_ms,
                    closed_at_ms, next_due_at_ms, breached, version, state)
                VALUES (@id, @account_id, @requester_id, @channel, @type, @priority, @status, @subject, @group_name, @agent_id,
                    @tags, @escalation_level, @merged_into, @created_at_ms, @updated_at_ms, @first_response_at_ms, @resolved_at_ms,
                    @closed_at_ms, @next_due_at_ms, @breached, @version, @state)
                ON CONFLICT (id) DO NOTHING
                """,
                row, transaction, cancellationToken: cancellationToken))
            : await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE sp_tickets SET account_id = @account_id, requester_id = @requester_id, channel = @channel, type = @type,
                    priority = @priority, status = @status, subject = @subject, group_name = @group_name, agent_id = @agent_id,
                    tags = @tags, escalation_level = @escalation_level, merged_into = @merged_into, updated_at_ms = @updated_at_ms,
                    first_response_at_ms = @first_response_at_ms, resolved_at_ms = @resolved_at_ms, closed_at_ms = @closed_at_ms,
                    next_due_at_ms = @next_due_at_ms, breached = @breached, version = @version, state = @state
                WHERE id = @id AND version = @expected
                """,
                row, transaction, cancellationToken: cancellationToken));
        if (changed != 1)
        {
            throw new TicketConcurrencyException(state.Id, expectedVersion);
        }

        if (events.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sp_ticket_events (ticket_id, seq, at_ms, kind, actor_kind, actor_id, data) VALUES (@ticket_id, @seq, @at_ms, @kind, @actor_kind, @actor_id, @data)",
                events.Select(e => new
                {
                    ticket_id = state.Id,
                    seq = e.Seq,
                    at_ms = e.At.ToUnixTimeMilliseconds(),
                    kind = e.Kind,
                    actor_kind = TicketJson.Name(e.Actor.Kind),
                    actor_id = e.Actor.Id,
                    data = JsonSerializer.Serialize(e, TicketJson.Options),
                }),
                transaction,
                cancellationToken: cancellationToken));
        }

        if (inTransaction is not null)
        {
            await inTransaction(connection, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return expectedVersion + 1;
    }

    public async Task<IReadOnlyList<TicketHistoryEntry>> ReadEventsAsync(IReadOnlyList<long> ticketIds, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long TicketId, string Data)>(new CommandDefinition(
            $"SELECT ticket_id, data FROM sp_ticket_events WHERE ticket_id {database.InList("ids")} ORDER BY at_ms, ticket_id, seq",
            new { ids = ticketIds.ToArray() },
            cancellationToken: cancellationToken));
        return rows.Select(r => new TicketHistoryEntry(r.TicketId, JsonSerializer.Deserialize<TicketEvent>(r.Data, TicketJson.Options)!)).ToList();
    }
}

internal sealed class StateRow
{
    public long Version { get; set; }

    public byte[] State { get; set; } = [];
}

/// <summary>Read-model columns derived from more than the state (SLA due dates).</summary>
internal sealed record TicketProjection(DateTimeOffset? NextDueAt, bool Breached);

/// <summary>The ticket's row changed since it was loaded (another activation wrote it); the grain reloads.</summary>
internal sealed class TicketConcurrencyException(long id, long expected)
    : Exception($"ticket {id} changed since version {expected} was loaded");
