using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Data;
using SupportPlatform.Scheduling.Grains;

namespace SupportPlatform.Scheduling;

internal sealed class DeadlineScheduler(
    DeadlineStore store, IGrainFactory grains, TimeProvider clock, IOptions<DeadlineSchedulerOptions> options, ILogger<DeadlineScheduler> logger)
    : IDeadlineScheduler
{
    private readonly TimeSpan lookAhead = options.Value.LookAhead;

    public async Task ScheduleAsync(IReadOnlyCollection<DeadlineRequest> deadlines, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deadlines);
        if (deadlines.Count == 0)
        {
            return;
        }

        await using (var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await WriteAsync(transaction, deadlines, [], cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await NotifyAsync(deadlines, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> CancelAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return 0;
        }

        await using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        // No notification: the shard finds no row at the wake-up and drops the due time at its next refresh.
        return await store.DeleteAsync(connection, null, ids, cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteAsync(DbTransaction transaction, IReadOnlyCollection<DeadlineRequest> schedule, IReadOnlyCollection<string> cancel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(cancel);
        var connection = transaction.Connection
            ?? throw new ArgumentException("The transaction has no connection (already committed or rolled back?).", nameof(transaction));
        foreach (var deadline in schedule)
        {
            deadline.Validate();
        }

        // Cancels first: "cancel X, schedule X" in one call re-schedules X.
        if (cancel.Count > 0)
        {
            await store.DeleteAsync(connection, transaction, cancel, cancellationToken).ConfigureAwait(false);
        }

        if (schedule.Count > 0)
        {
            await store.UpsertAsync(connection, transaction, schedule, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task NotifyAsync(IReadOnlyCollection<DeadlineRequest> scheduled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduled);
        // A shard holds only the due times inside its window, which ends at most LookAhead after now (see
        // DeadlineShardGrain.Wake and Refresh): it drops a later one, and its window refresh loads it from the table in
        // time. So only due times within the look-ahead are worth a grain call. Most deadlines (SLA targets hours away)
        // are not, which spares new tickets one call per shard of their deadlines.
        var until = clock.GetUtcNow() + lookAhead;
        var byShard = scheduled
            .Where(d => d.DueAt <= until)
            .GroupBy(d => store.ShardOf(d.Id))
            .Select(async g =>
            {
                try
                {
                    await grains.GetGrain<IDeadlineShardGrain>(g.Key).Wake(g.Select(d => d.DueAt.ToUnixTimeMilliseconds()).ToArray()).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The rows are committed: the shard's next window refresh (or its activation) still finds them.
                    logger.LogWarning(ex, "Could not notify deadline shard {Shard}; its next window refresh picks the deadlines up", g.Key);
                }
            });
        await Task.WhenAll(byShard).ConfigureAwait(false);
    }
}
