using System.Data.Common;

namespace SupportPlatform.Scheduling.Contracts;

/// <summary>
/// Schedules and cancels durable deadlines (a DI singleton; inject it into grains or services).
/// </summary>
/// <remarks>
/// <para>The table <c>sp_deadlines</c> is the source of truth: a deadline exists once its row is committed, and is
/// delivered (at least once) to its <see cref="IDeadlineTarget"/> at its due time, also after a crash or a restart.</para>
/// <para><b>Inside your own transaction</b> (to store your state and its deadlines atomically):</para>
/// <code>
/// await using var connection = await database.OpenConnectionAsync(ct);
/// await using var tx = await connection.BeginTransactionAsync(ct);
/// // ... write your own rows with tx ...
/// await scheduler.WriteAsync(tx, schedule: [deadline], cancel: ["tickets/t-42/first-response/warning"], ct);
/// await tx.CommitAsync(ct);
/// await scheduler.NotifyAsync([deadline], ct);   // after the commit; if it is lost, the row is found within RefreshInterval
/// </code>
/// <para>A cancelled deadline needs no notification. Ids are keys: scheduling an existing id replaces its due time,
/// target, kind and payload (re-scheduling).</para>
/// </remarks>
public interface IDeadlineScheduler
{
    /// <summary>Schedules (upserts) <paramref name="deadlines"/> in one transaction of their own, then notifies the shards.</summary>
    Task ScheduleAsync(IReadOnlyCollection<DeadlineRequest> deadlines, CancellationToken cancellationToken = default);

    /// <summary>Schedules (upserts) one deadline in a transaction of its own, then notifies its shard.</summary>
    Task ScheduleAsync(DeadlineRequest deadline, CancellationToken cancellationToken = default) =>
        ScheduleAsync([deadline], cancellationToken);

    /// <summary>Cancels the deadlines with these ids (unknown ids are ignored); returns how many existed.</summary>
    Task<int> CancelAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);

    /// <summary>Cancels one deadline; returns whether it existed.</summary>
    async Task<bool> CancelAsync(string id, CancellationToken cancellationToken = default) =>
        await CancelAsync([id], cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>
    /// Writes the rows for <paramref name="schedule"/> (upserts) and deletes those of <paramref name="cancel"/> inside the
    /// caller's <paramref name="transaction"/> (a connection from <c>IDatabase</c>), and does nothing else: nothing is
    /// scheduled unless the caller commits. After the commit, call <see cref="NotifyAsync"/> with the same
    /// <paramref name="schedule"/>.
    /// </summary>
    Task WriteAsync(DbTransaction transaction, IReadOnlyCollection<DeadlineRequest> schedule, IReadOnlyCollection<string> cancel, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells the scheduler shards about deadlines whose rows were just committed, so that those due soon are armed at
    /// once. Optional for correctness: a lost notification only delays a deadline until the shard's next window refresh.
    /// </summary>
    Task NotifyAsync(IReadOnlyCollection<DeadlineRequest> scheduled, CancellationToken cancellationToken = default);
}
