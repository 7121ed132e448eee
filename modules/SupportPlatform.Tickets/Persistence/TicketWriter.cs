using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Grains;

namespace SupportPlatform.Tickets.Persistence;

/// <summary>
/// One ticket change to store: the row, the new events, the deadline changes and any further writes of its own; the
/// commit participants (<see cref="ITicketCommitParticipant"/>) are told of <paramref name="Change"/> in the same transaction.
/// </summary>
internal sealed record TicketWrite(
    TicketState State,
    long ExpectedVersion,
    IReadOnlyList<TicketEvent> Events,
    TicketProjection Projection,
    IReadOnlyCollection<DeadlineRequest> Schedule,
    IReadOnlyCollection<string> Cancel,
    Func<DbConnection, DbTransaction, Task>? InTransaction,
    TicketChange? Change = null);

/// <summary>
/// Group commit for ticket changes. Every change is stored durably before its caller hears back, but changes that
/// arrive while a transaction is being written wait and go together into the next one: one transaction, one batch of
/// statements and one disk flush for many tickets instead of one each. Nothing waits on purpose, so a lone change is
/// written at once; the batches grow only with the load.
/// <para>
/// The batch is all or nothing. When it fails (a version conflict, a duplicate create, a failing participant), it is
/// rolled back and each change is written again alone, so one bad change fails only its own caller.
/// </para>
/// </summary>
internal sealed class TicketWriter : IDisposable
{
    private const int MaxBatch = 64;

    /// <summary>Concurrent write loops on PostgreSQL (each holds one connection while it writes a batch).</summary>
    internal const int PostgreSqlWriters = 8;

    private readonly TicketStore store;
    private readonly IDatabase database;
    private readonly IDeadlineScheduler scheduler;
    private readonly ILogger<TicketWriter> logger;
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>();
    private readonly Lazy<Task[]> writers;
    private readonly Lazy<ITicketCommitParticipant[]> participants;
    private readonly Counter<long> transactions;
    private readonly Histogram<int> batchSizes;
    private long transactionCount;

    public TicketWriter(TicketStore store, IDatabase database, IDeadlineScheduler scheduler, IServiceProvider services, ILogger<TicketWriter> logger, IMeterFactory? meters = null)
    {
        // Resolved at the first write, not here: participants come from other modules, whose services may need the ticket writer themselves.
        participants = new Lazy<ITicketCommitParticipant[]>(() => [.. services.GetServices<ITicketCommitParticipant>()]);
        var meter = meters?.Create("SupportPlatform.Tickets") ?? new Meter("SupportPlatform.Tickets");
        transactions = meter.CreateCounter<long>("sp.tickets.write.transactions", description: "Transactions that stored ticket changes (a batch counts once).");
        batchSizes = meter.CreateHistogram<int>("sp.tickets.write.batch_size", description: "Ticket changes stored per transaction.");
        this.store = store;
        this.database = database;
        this.scheduler = scheduler;
        this.logger = logger;

        // PostgreSQL runs concurrent transactions; SQLite has one writer, so a second loop would only queue behind it.
        // A batch spends most of its time waiting on round trips (each commit participant's statements, per change)
        // and on the commit's flush, not on CPU, so more loops than cores keep the server busy while one waits; the
        // server merges the flushes of concurrent commits itself.
        var count = database.Provider == DatabaseProvider.PostgreSql ? PostgreSqlWriters : 1;
        writers = new Lazy<Task[]>(() => Enumerable.Range(0, count).Select(_ => Task.Run(WriteLoopAsync)).ToArray());
    }

    /// <summary>Stores <paramref name="write"/>; returns the new version once it is committed.</summary>
    public Task<long> SaveAsync(TicketWrite write)
    {
        var pending = new Pending(write, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The ticket writer has stopped (the node is shutting down).");
        }

        _ = writers.Value;
        return pending.Completion.Task;
    }

    /// <summary>Transactions written so far (tests compare it with the number of changes).</summary>
    internal long Transactions => Interlocked.Read(ref transactionCount);

    public void Dispose() => queue.Writer.TryComplete();

    private void Committed(int changes)
    {
        Interlocked.Increment(ref transactionCount);
        transactions.Add(1);
        batchSizes.Record(changes);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                if (batch.Count == 1 || !await TryWriteTogetherAsync(batch))
                {
                    foreach (var pending in batch)
                    {
                        await WriteAloneAsync(pending);
                    }
                }
            }
            catch (Exception ex)
            {
                // Not expected (each write reports its own failure), but a loop that dies would strand every later write.
                logger.LogError(ex, "The ticket writer failed on a batch of {Count}", batch.Count);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(ex);
                }
            }

            batch.Clear();
        }
    }

    private async Task WriteAloneAsync(Pending pending)
    {
        var write = pending.Write;
        try
        {
            var version = await store.SaveAsync(write.State, write.ExpectedVersion, write.Events, write.Projection,
                write.Schedule.Count + write.Cancel.Count == 0 && write.InTransaction is null && (write.Change is null || participants.Value.Length == 0)
                    ? null
                    : async (connection, transaction) =>
                    {
                        if (write.Schedule.Count + write.Cancel.Count > 0)
                        {
                            await scheduler.WriteAsync(transaction, write.Schedule, write.Cancel);
                        }

                        if (write.InTransaction is not null)
                        {
                            await write.InTransaction(connection, transaction);
                        }

                        if (write.Change is { } change)
                        {
                            await ParticipateAsync([change], transaction);
                        }
                    });
            Committed(1);
            pending.Completion.TrySetResult(version);
        }
        catch (Exception ex)
        {
            pending.Completion.TrySetException(ex);
        }
    }

    /// <summary>Writes the batch in one transaction; false (nothing written) when any part of it fails.</summary>
    private async Task<bool> TryWriteTogetherAsync(List<Pending> batch)
    {
        try
        {
            await using var connection = await database.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var commands = batch.Select(p => store.RowCommand(p.Write.State, p.Write.ExpectedVersion, p.Write.Projection)).ToList();
            commands.AddRange(TicketStore.EventCommands(batch.Select(p => (p.Write.State.Id, p.Write.Events))));
            var affected = await TicketStore.ExecuteAsync(connection, transaction, commands, CancellationToken.None);
            for (var i = 0; i < batch.Count; i++)
            {
                if (affected[i] != 1)
                {
                    // A version conflict or an existing ticket: written alone, it gets its own precise error.
                    return false;
                }
            }

            // Cancels before upserts, per ticket, as the scheduler does; ids belong to one ticket each, so the union keeps that order.
            var schedule = batch.SelectMany(p => p.Write.Schedule).ToList();
            var cancel = batch.SelectMany(p => p.Write.Cancel).ToList();
            if (schedule.Count + cancel.Count > 0)
            {
                await scheduler.WriteAsync(transaction, schedule, cancel);
            }

            foreach (var pending in batch)
            {
                if (pending.Write.InTransaction is { } inTransaction)
                {
                    await inTransaction(connection, transaction);
                }
            }

            // Each participant sees the batch's changes at once, so it can write them in one statement, not one per ticket.
            var changes = batch.Where(p => p.Write.Change is not null).Select(p => p.Write.Change!).ToList();
            if (changes.Count > 0)
            {
                await ParticipateAsync(changes, transaction);
            }

            await transaction.CommitAsync();
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "A batch of {Count} ticket changes failed; writing each alone", batch.Count);
            return false;
        }

        Committed(batch.Count);
        foreach (var pending in batch)
        {
            pending.Completion.TrySetResult(pending.Write.ExpectedVersion + 1);
        }

        return true;
    }

    private async Task ParticipateAsync(IReadOnlyList<TicketChange> changes, DbTransaction transaction)
    {
        foreach (var participant in participants.Value)
        {
            await participant.OnCommittingAsync(changes, transaction, CancellationToken.None);
        }
    }

    private sealed record Pending(TicketWrite Write, TaskCompletionSource<long> Completion);
}
