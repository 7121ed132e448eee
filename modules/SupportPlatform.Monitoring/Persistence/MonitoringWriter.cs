using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Monitoring.Persistence;

/// <summary>One SQL statement with named parameters (<c>@name</c>).</summary>
internal sealed record Sql(string Text, IReadOnlyList<KeyValuePair<string, object?>> Args)
{
    public static Sql Of(string text, params (string Name, object? Value)[] args) =>
        new(text, args.Select(a => new KeyValuePair<string, object?>(a.Name, a.Value)).ToList());
}

/// <summary>
/// Statements that must commit together. When <see cref="Guard"/> is set, that statement must affect exactly one row
/// (the system row's version check); otherwise the unit is a conflict and nothing of it is written.
/// </summary>
internal sealed record WriteUnit(IReadOnlyList<Sql> Statements, int? Guard);

/// <summary>Another writer changed the system row first; reload and retry.</summary>
internal sealed class MonitoringConflictException(string message) : Exception(message);

/// <summary>
/// Group commit for monitoring writes (alerts, system state, history, incidents). Units that arrive while a
/// transaction is being written go together into the next one: one transaction and one disk flush for the alerts of
/// many webhook deliveries and many systems. Nothing waits on purpose, so a lone unit is written at once; batches grow
/// with the load. A batch that fails is rolled back and each unit written alone, so one bad unit fails only its caller.
/// </summary>
internal sealed class MonitoringWriter : IDisposable
{
    private const int MaxBatch = 128;

    private readonly IDatabase database;
    private readonly ILogger<MonitoringWriter> logger;
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>();
    private readonly Lazy<Task[]> loops;
    private readonly Histogram<int> batchSizes;
    private long transactions;

    public MonitoringWriter(IDatabase database, ILogger<MonitoringWriter> logger, IMeterFactory? meters = null)
    {
        this.database = database;
        this.logger = logger;
        var meter = meters?.Create("SupportPlatform.Monitoring") ?? new Meter("SupportPlatform.Monitoring");
        batchSizes = meter.CreateHistogram<int>("sp.monitoring.write.batch_size", description: "Monitoring write units stored per transaction.");
        // PostgreSQL commits concurrent transactions; SQLite has one writer, so a second loop would only queue behind it.
        var count = database.Provider == DatabaseProvider.PostgreSql ? 2 : 1;
        loops = new Lazy<Task[]>(() => Enumerable.Range(0, count).Select(_ => Task.Run(LoopAsync)).ToArray());
    }

    /// <summary>Transactions committed so far (tests compare it with the number of units).</summary>
    internal long Transactions => Interlocked.Read(ref transactions);

    /// <summary>Writes <paramref name="unit"/> durably; returns the rows each statement affected.</summary>
    public Task<int[]> WriteAsync(WriteUnit unit)
    {
        var pending = new Pending(unit, new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The monitoring writer has stopped (the node is shutting down).");
        }

        _ = loops.Value;
        return pending.Completion.Task;
    }

    public void Dispose() => queue.Writer.TryComplete();

    private async Task LoopAsync()
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
                if (batch.Count == 1 || !await TryWriteAsync(batch, alone: false))
                {
                    foreach (var pending in batch)
                    {
                        await TryWriteAsync([pending], alone: true);
                    }
                }
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "The monitoring writer failed on a batch of {Count}", batch.Count);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(ex);
                }
            }

            batch.Clear();
        }
    }

    /// <summary>Writes the units in one transaction. Alone, a failure goes to the unit's caller; together, it returns false.</summary>
    private async Task<bool> TryWriteAsync(List<Pending> batch, bool alone)
    {
        int[][] results;
        try
        {
            await using var connection = await database.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var statements = batch.SelectMany(p => p.Unit.Statements).ToList();
            var affected = await ExecuteAsync(connection, transaction, statements);
            results = new int[batch.Count][];
            var offset = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                var unit = batch[i].Unit;
                results[i] = affected[offset..(offset + unit.Statements.Count)];
                if (unit.Guard is { } guard && results[i][guard] != 1)
                {
                    if (!alone)
                    {
                        return false;
                    }

                    batch[i].Completion.TrySetException(new MonitoringConflictException("The monitored system was changed by another writer; it has been reloaded, retry."));
                    return true;
                }

                offset += unit.Statements.Count;
            }

            await transaction.CommitAsync();
        }
        catch (Exception ex) when (!alone)
        {
            logger.LogDebug(ex, "A batch of {Count} monitoring writes failed; writing each alone", batch.Count);
            return false;
        }
        catch (Exception ex)
        {
            batch[0].Completion.TrySetException(ex);
            return true;
        }

        Interlocked.Increment(ref transactions);
        batchSizes.Record(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }

        return true;
    }

    /// <summary>
    /// Runs the statements in <paramref name="transaction"/>: as one batch (one round trip) where the provider supports
    /// batches (PostgreSQL), else one after the other (SQLite, in-process). Returns the rows each affected.
    /// </summary>
    internal static async Task<int[]> ExecuteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Sql> statements)
    {
        var affected = new int[statements.Count];
        if (connection.CanCreateBatch)
        {
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var statement in statements)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = statement.Text;
                foreach (var (name, value) in statement.Args)
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.Value = value ?? DBNull.Value;
                    command.Parameters.Add(parameter);
                }

                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync();
            for (var i = 0; i < statements.Count; i++)
            {
                affected[i] = batch.BatchCommands[i].RecordsAffected;
            }

            return affected;
        }

        for (var i = 0; i < statements.Count; i++)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statements[i].Text;
            foreach (var (name, value) in statements[i].Args)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }

            affected[i] = await command.ExecuteNonQueryAsync();
        }

        return affected;
    }

    private sealed record Pending(WriteUnit Unit, TaskCompletionSource<int[]> Completion);
}
