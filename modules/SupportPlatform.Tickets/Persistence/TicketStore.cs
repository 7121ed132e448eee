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
internal sealed class TicketStore(IDatabase database, Serializer<TicketState> serializer, TimeProvider clock) : ITicketNumbers
{
    Task<long> ITicketNumbers.AllocateAsync(CancellationToken cancellationToken) => AllocateNumberAsync(cancellationToken);

    private const int MaxBlock = 64;
    private readonly Queue<long> numbers = new();
    private readonly SemaphoreSlim refill = new(1, 1);
    private int blockSize = 1;
    private long lastRefill;

    public async Task<(TicketState State, long Version)?> LoadAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<StateRow>(
            new CommandDefinition("SELECT version, state FROM sp_tickets WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : (serializer.Deserialize(row.State)!, row.Version);
    }

    /// <summary>
    /// Allocates the next ticket number (from 1001). Numbers are drawn from the database in blocks whose size adapts to
    /// demand: one at a time while tickets arrive slowly (numbers stay consecutive), up to <see cref="MaxBlock"/> when a
    /// block is used up within a second (one round trip then serves many tickets). Numbers drawn but not used before the
    /// process stops are skipped, as a sequence skips numbers of rolled-back transactions; on a cluster each node draws
    /// its own blocks, so numbers are unique but only roughly in creation order.
    /// </summary>
    public async Task<long> AllocateNumberAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            lock (numbers)
            {
                if (numbers.TryDequeue(out var next))
                {
                    return next;
                }
            }

            await refill.WaitAsync(cancellationToken);
            try
            {
                bool empty;
                lock (numbers)
                {
                    empty = numbers.Count == 0;
                }

                if (empty)
                {
                    var now = clock.GetTimestamp();
                    blockSize = clock.GetElapsedTime(lastRefill, now) < TimeSpan.FromSeconds(1) ? Math.Min(blockSize * 2, MaxBlock) : 1;
                    lastRefill = now;
                    var block = await AllocateBlockAsync(blockSize, cancellationToken);
                    lock (numbers)
                    {
                        foreach (var number in block)
                        {
                            numbers.Enqueue(number);
                        }
                    }
                }
            }
            finally
            {
                refill.Release();
            }
        }
    }

    private async Task<IReadOnlyList<long>> AllocateBlockAsync(int count, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var block = await connection.QueryAsync<long>(new CommandDefinition(
            // PostgreSQL: the table's sequence alone. nextval is never rolled back and needs no durable commit of its own,
            // so allocating costs no extra disk flush. SQLite: rows, whose AUTOINCREMENT is the sequence.
            database.Provider == DatabaseProvider.PostgreSql
                ? "SELECT nextval(pg_get_serial_sequence('sp_ticket_ids', 'id')) FROM generate_series(1, @count)"
                : """
                  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)
                  INSERT INTO sp_ticket_ids (allocated_at_ms) SELECT @now FROM n RETURNING id
                  """,
            new { count, now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
        return block.Order().ToList();
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
        var commands = new List<SqlCommandText> { RowCommand(state, expectedVersion, projection) };
        commands.AddRange(EventCommands([(state.Id, events)]));
        int[] affected;
        try
        {
            affected = await ExecuteAsync(connection, transaction, commands, cancellationToken);
        }
        catch (DbException ex) when (database.IsUniqueViolation(ex))
        {
            // The row and the events go in one round trip: when the row was not written (another version is stored),
            // the events' sequence numbers are taken too, and that duplicate key is what reports the conflict.
            throw new TicketConcurrencyException(state.Id, expectedVersion);
        }

        if (affected[0] != 1)
        {
            throw new TicketConcurrencyException(state.Id, expectedVersion);
        }

        if (inTransaction is not null)
        {
            await inTransaction(connection, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return expectedVersion + 1;
    }

    /// <summary>
    /// The statement storing <paramref name="state"/>: an insert when <paramref name="expectedVersion"/> is 0 (nothing
    /// happens when the row exists), else an update guarded by the version. Exactly one row is affected on success.
    /// </summary>
    internal SqlCommandText RowCommand(TicketState state, long expectedVersion, TicketProjection projection)
    {
        var args = new List<SqlArg>
        {
            SqlArg.Of("id", state.Id),
            SqlArg.Of("account_id", state.AccountId),
            SqlArg.Of("requester_id", state.RequesterId),
            SqlArg.Of("channel", TicketJson.Name(state.Channel)),
            SqlArg.Of("type", state.Type),
            SqlArg.Of("priority", (int)state.Priority),
            SqlArg.Of("status", TicketJson.Name(state.Status)),
            SqlArg.Of("subject", state.Subject),
            SqlArg.Of("group_name", state.Group),
            SqlArg.Of("agent_id", state.AgentId),
            SqlArg.Of("tags", state.Tags.Count == 0 ? "" : "|" + string.Join('|', state.Tags) + "|"),
            SqlArg.Of("escalation_level", state.EscalationLevel),
            SqlArg.Of("merged_into", state.MergedInto),
            SqlArg.Of("created_at_ms", state.CreatedAt.ToUnixTimeMilliseconds()),
            SqlArg.Of("updated_at_ms", state.UpdatedAt.ToUnixTimeMilliseconds()),
            SqlArg.Of("first_response_at_ms", state.FirstResponseAt?.ToUnixTimeMilliseconds()),
            SqlArg.Of("resolved_at_ms", state.ResolvedAt?.ToUnixTimeMilliseconds()),
            SqlArg.Of("closed_at_ms", state.ClosedAt?.ToUnixTimeMilliseconds()),
            SqlArg.Of("next_due_at_ms", projection.NextDueAt?.ToUnixTimeMilliseconds()),
            SqlArg.Of("breached", projection.Breached ? 1 : 0),
            SqlArg.Of("version", expectedVersion + 1),
            SqlArg.Of("state", serializer.SerializeToArray(state)),
        };
        if (expectedVersion == 0)
        {
            return new(
                """
                INSERT INTO sp_tickets (id, account_id, requester_id, channel, type, priority, status, subject, group_name, agent_id,
                    tags, escalation_level, merged_into, created_at_ms, updated_at_ms, first_response_at_ms, resolved_at_ms,
                    closed_at_ms, next_due_at_ms, breached, version, state)
                VALUES (@id, @account_id, @requester_id, @channel, @type, @priority, @status, @subject, @group_name, @agent_id,
                    @tags, @escalation_level, @merged_into, @created_at_ms, @updated_at_ms, @first_response_at_ms, @resolved_at_ms,
                    @closed_at_ms, @next_due_at_ms, @breached, @version, @state)
                ON CONFLICT (id) DO NOTHING
                """,
                args);
        }

        args.Add(SqlArg.Of("expected", expectedVersion));
        return new(
            """
            UPDATE sp_tickets SET account_id = @account_id, requester_id = @requester_id, channel = @channel, type = @type,
                priority = @priority, status = @status, subject = @subject, group_name = @group_name, agent_id = @agent_id,
                tags = @tags, escalation_level = @escalation_level, merged_into = @merged_into, updated_at_ms = @updated_at_ms,
                first_response_at_ms = @first_response_at_ms, resolved_at_ms = @resolved_at_ms, closed_at_ms = @closed_at_ms,
                next_due_at_ms = @next_due_at_ms, breached = @breached, version = @version, state = @state
            WHERE id = @id AND version = @expected
            """,
            args);
    }

    /// <summary>Multi-row inserts of the events of one or more tickets (none when there are no events).</summary>
    internal static IEnumerable<SqlCommandText> EventCommands(IEnumerable<(long TicketId, IReadOnlyList<TicketEvent> Events)> tickets)
    {
        const int PerStatement = 400;
        var rows = tickets.SelectMany(t => t.Events.Select(e => (t.TicketId, Event: e)));
        foreach (var chunk in rows.Chunk(PerStatement))
        {
            var sql = new System.Text.StringBuilder("INSERT INTO sp_ticket_events (ticket_id, seq, at_ms, kind, actor_kind, actor_id, data) VALUES ");
            var args = new List<SqlArg>(chunk.Length * 7);
            for (var i = 0; i < chunk.Length; i++)
            {
                var (ticketId, e) = chunk[i];
                var n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? "" : ", ").Append($"(@t{n}, @s{n}, @a{n}, @k{n}, @ak{n}, @ai{n}, @d{n})");
                args.Add(SqlArg.Of("t" + n, ticketId));
                args.Add(SqlArg.Of("s" + n, e.Seq));
                args.Add(SqlArg.Of("a" + n, e.At.ToUnixTimeMilliseconds()));
                args.Add(SqlArg.Of("k" + n, e.Kind));
                args.Add(SqlArg.Of("ak" + n, TicketJson.Name(e.Actor.Kind)));
                args.Add(SqlArg.Of("ai" + n, e.Actor.Id));
                args.Add(SqlArg.Of("d" + n, JsonSerializer.Serialize(e, TicketJson.Options)));
            }

            yield return new(sql.ToString(), args);
        }
    }

    /// <summary>
    /// Runs <paramref name="commands"/> in <paramref name="transaction"/> and returns the rows each affected: as one batch
    /// (one round trip) where the provider supports batches (PostgreSQL), else one after the other (SQLite, in-process).
    /// </summary>
    internal static async Task<int[]> ExecuteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<SqlCommandText> commands, CancellationToken cancellationToken)
    {
        var affected = new int[commands.Count];
        if (connection.CanCreateBatch)
        {
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var command in commands)
            {
                var item = batch.CreateBatchCommand();
                item.CommandText = command.Sql;
                foreach (var arg in command.Args)
                {
                    item.Parameters.Add(arg.ToParameter(item.CreateParameter()));
                }

                batch.BatchCommands.Add(item);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
            for (var i = 0; i < commands.Count; i++)
            {
                affected[i] = batch.BatchCommands[i].RecordsAffected;
            }

            return affected;
        }

        for (var i = 0; i < commands.Count; i++)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = commands[i].Sql;
            foreach (var arg in commands[i].Args)
            {
                command.Parameters.Add(arg.ToParameter(command.CreateParameter()));
            }

            affected[i] = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return affected;
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

/// <summary>One SQL statement and its arguments.</summary>
internal sealed record SqlCommandText(string Sql, IReadOnlyList<SqlArg> Args);

/// <summary>A named argument with an explicit type, so that a null is typed as well (PostgreSQL needs it).</summary>
internal readonly record struct SqlArg(string Name, object? Value, System.Data.DbType Type)
{
    public static SqlArg Of(string name, long value) => new(name, value, System.Data.DbType.Int64);

    public static SqlArg Of(string name, long? value) => new(name, value, System.Data.DbType.Int64);

    public static SqlArg Of(string name, int value) => new(name, value, System.Data.DbType.Int32);

    public static SqlArg Of(string name, string? value) => new(name, value, System.Data.DbType.String);

    public static SqlArg Of(string name, byte[] value) => new(name, value, System.Data.DbType.Binary);

    public DbParameter ToParameter(DbParameter parameter)
    {
        parameter.ParameterName = Name;
        parameter.DbType = Type;
        parameter.Value = Value ?? DBNull.Value;
        return parameter;
    }
}

/// <summary>Read-model columns derived from more than the state (SLA due dates).</summary>
internal sealed record TicketProjection(DateTimeOffset? NextDueAt, bool Breached);

/// <summary>The ticket's row changed since it was loaded (another activation wrote it); the grain reloads.</summary>
internal sealed class TicketConcurrencyException(long id, long expected)
    : Exception($"ticket {id} changed since version {expected} was loaded");
