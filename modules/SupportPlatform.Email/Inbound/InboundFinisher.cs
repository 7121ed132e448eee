using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Email.Inbound;

/// <summary>
/// Group commit for the last step of an inbound message (its row marked done, the mail and the staff notice it causes,
/// its auto-reply count): the finishing writes that arrive while a transaction is being written wait and go together
/// into the next one, so many messages share one transaction and one disk flush. Nothing waits on purpose: a lone
/// message is written at once, and batches grow only with the load (the same scheme as the tickets module's writer).
/// <para>
/// A batch is all or nothing. When it fails it is rolled back and each message's writes run again alone, so one bad
/// message fails only its own caller. A message's writes must therefore give the same result when run again.
/// </para>
/// </summary>
internal sealed class InboundFinisher : IDisposable
{
    private const int MaxBatch = 64;

    /// <summary>Concurrent write loops on PostgreSQL; SQLite has a single writer, so one loop there.</summary>
    private const int PostgreSqlWriters = 4;

    private readonly IDatabase database;
    private readonly ILogger<InboundFinisher> logger;
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>();
    private readonly Lazy<Task[]> writers;
    private long transactionCount;

    public InboundFinisher(IDatabase database, ILogger<InboundFinisher> logger)
    {
        this.database = database;
        this.logger = logger;
        var count = database.Provider == DatabaseProvider.PostgreSql ? PostgreSqlWriters : 1;
        writers = new Lazy<Task[]>(() => Enumerable.Range(0, count).Select(_ => Task.Run(WriteLoopAsync)).ToArray());
    }

    /// <summary>Transactions written so far (tests compare it with the number of messages).</summary>
    internal long Transactions => Interlocked.Read(ref transactionCount);

    /// <summary>
    /// Runs <paramref name="write"/> in a shared transaction and returns its answer once that transaction is committed.
    /// Writes of one batch run in the order of <paramref name="orderKey"/> (the sender's address), so that two batches
    /// touching the same counters take their row locks in the same order.
    /// </summary>
    public Task<bool> WriteAsync(string orderKey, Func<DbTransaction, Task<bool>> write)
    {
        var pending = new Pending(orderKey, write, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The inbound mail writer has stopped (the node is shutting down).");
        }

        _ = writers.Value;
        return pending.Completion.Task;
    }

    public void Dispose() => queue.Writer.TryComplete();

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

            batch.Sort((a, b) => string.CompareOrdinal(a.OrderKey, b.OrderKey));
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
                logger.LogError(ex, "The inbound mail writer failed on a batch of {Count}", batch.Count);
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
        try
        {
            await using var connection = await database.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var written = await pending.Write(transaction);
            await transaction.CommitAsync();
            Interlocked.Increment(ref transactionCount);
            pending.Completion.TrySetResult(written);
        }
        catch (Exception ex)
        {
            pending.Completion.TrySetException(ex);
        }
    }

    /// <summary>Writes the batch in one transaction; false (nothing written) when any part of it fails.</summary>
    private async Task<bool> TryWriteTogetherAsync(List<Pending> batch)
    {
        var results = new bool[batch.Count];
        try
        {
            await using var connection = await database.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = await batch[i].Write(transaction);
            }

            await transaction.CommitAsync();
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "A batch of {Count} inbound messages failed; writing each alone", batch.Count);
            return false;
        }

        Interlocked.Increment(ref transactionCount);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }

        return true;
    }

    private sealed record Pending(string OrderKey, Func<DbTransaction, Task<bool>> Write, TaskCompletionSource<bool> Completion);
}
