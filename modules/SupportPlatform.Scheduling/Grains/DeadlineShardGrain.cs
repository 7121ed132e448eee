using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Data;

namespace SupportPlatform.Scheduling.Grains;

/// <summary>
/// A scheduler shard. Memory holds only the due times of its rows inside the look-ahead window (a heap of longs) and
/// one grain timer armed for the earliest; the table is the truth. At each wake-up the shard reads its due rows,
/// starts their deliveries (bounded, never one after another), and deletes each row once its target returned.
/// </summary>
internal sealed class DeadlineShardGrain(
    DeadlineStore store,
    IOptions<DeadlineSchedulerOptions> options,
    TimeProvider clock,
    SchedulingMetrics metrics,
    ILogger<DeadlineShardGrain> logger) : Grain, IDeadlineShardGrain, IRemindable
{
    private const string KeepAliveReminder = "keep-alive";
    private static readonly TimeSpan StorageRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);
    private const int DeleteBatch = 400;

    private readonly DeadlineSchedulerOptions settings = options.Value;
    private readonly DueTimeHeap window = new();

    // Rows this activation is handling (delivery in flight, delivered but not yet deleted, or failed and waiting for
    // their retry time): a wake-up's read skips them, so that nothing is delivered twice by one activation.
    private readonly HashSet<string> claimed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Attempt, long RetryAtMs)> retries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> failedAttempts = new(StringComparer.Ordinal);
    private readonly List<(string Id, long DueAtMs)> delivered = [];

    private IGrainTimer? wakeTimer;
    private int shard;
    private List<long>? wokenDuringRefresh;
    private long windowEndMs;
    private long armedAtMs = long.MaxValue;
    private long storageRetryAtMs = long.MaxValue;
    private int inFlight;
    private bool backlog;
    private bool deleting;
    private long reportedPending;
    private long deliveredCount;
    private long failureCount;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        shard = (int)this.GetPrimaryKeyLong();
        // One timer for the earliest due time, re-armed as the set changes; non-interleaving so ticks never overlap.
        wakeTimer = this.RegisterGrainTimer(_ => Tick(), new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        // The window refresh picks up rows whose notification was lost and rows entering the look-ahead window. It
        // interleaves, so that a long reload never delays a wake-up; shards are staggered so they do not reload together
        // (the first reload comes within one interval, so a lost notification is still found within RefreshInterval).
        var stagger = settings.RefreshInterval * (shard % settings.ShardCount) / settings.ShardCount;
        this.RegisterGrainTimer(_ => Refresh(), new GrainTimerCreationOptions(settings.RefreshInterval - stagger, settings.RefreshInterval)
        {
            KeepAlive = true,
            Interleave = true,
        });
        try
        {
            // The reminder re-activates this shard after a crash of its silo; its tick does nothing else.
            await this.RegisterOrUpdateReminder(KeepAliveReminder, settings.KeepAlivePeriod, settings.KeepAlivePeriod);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Deadline shard {Shard}: could not register its keep-alive reminder; it relies on start-up pokes until the next activation", shard);
        }

        await Refresh();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.AdjustPending(-reportedPending);
        reportedPending = 0;
        return Task.CompletedTask;
    }

    public Task Wake(long[] dueAtMs)
    {
        foreach (var due in dueAtMs)
        {
            if (due <= windowEndMs)
            {
                window.Add(due);
            }

            // A reload in progress may have read the table before this row was committed: keep it across the reset.
            wokenDuringRefresh?.Add(due);
        }

        ReportPending();
        Arm();
        return Task.CompletedTask;
    }

    public Task Ping() => Task.CompletedTask;

    public Task<ShardStatus> GetStatus() =>
        Task.FromResult(new ShardStatus(
            shard, window.Count, inFlight, claimed.Count, windowEndMs, deliveredCount, failureCount, armedAtMs,
            Busy: inFlight > 0 || delivered.Count > 0 || deleting || armedAtMs <= NowMs()));

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    private long NowMs() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task Refresh()
    {
        if (wokenDuringRefresh is not null)
        {
            return; // the previous reload is still running
        }

        var now = NowMs();
        var until = now + (long)settings.LookAhead.TotalMilliseconds;
        wokenDuringRefresh = [];
        try
        {
            var times = await store.LoadDueTimesAsync(shard, until, CancellationToken.None);
            times.AddRange(wokenDuringRefresh.Where(due => due <= until));
            window.Reset(times);
            windowEndMs = until;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The previous window stays armed; the next refresh tries again.
            logger.LogWarning(ex, "Deadline shard {Shard}: could not load its window; retrying at the next refresh", shard);
            storageRetryAtMs = now + (long)StorageRetry.TotalMilliseconds;
        }
        finally
        {
            wokenDuringRefresh = null;
        }

        // Cleans up attempt counters of deadlines cancelled while they waited for a retry.
        foreach (var id in failedAttempts.Keys.Where(id => !claimed.Contains(id)).ToList())
        {
            failedAttempts.Remove(id);
        }

        ReportPending();
        Arm();
    }

    private async Task Tick()
    {
        armedAtMs = long.MaxValue;
        var now = NowMs();
        storageRetryAtMs = long.MaxValue;
        foreach (var (id, retry) in retries.Where(r => r.Value.RetryAtMs <= now).ToList())
        {
            retries.Remove(id);
            claimed.Remove(id);
            failedAttempts[id] = retry.Attempt;
        }

        while (window.Count > 0 && window.Peek() <= now)
        {
            window.Pop();
        }

        ReportPending();
        var free = settings.MaxConcurrentDeliveriesPerShard - inFlight;
        if (free <= 0)
        {
            backlog = true;
            return; // a finishing delivery re-arms the timer
        }

        List<DueDeadline> rows;
        var limit = claimed.Count + free;
        try
        {
            rows = await store.FetchDueAsync(shard, now, limit, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Deadline shard {Shard}: could not read due deadlines; retrying in {Delay}", shard, StorageRetry);
            backlog = true;
            storageRetryAtMs = now + (long)StorageRetry.TotalMilliseconds;
            Arm();
            return;
        }

        backlog = rows.Count == limit;
        foreach (var row in rows)
        {
            if (claimed.Contains(row.Id))
            {
                continue;
            }

            if (inFlight >= settings.MaxConcurrentDeliveriesPerShard)
            {
                backlog = true;
                break;
            }

            var attempt = failedAttempts.TryGetValue(row.Id, out var failed) ? failed + 1 : 1;
            claimed.Add(row.Id);
            inFlight++;
            // Not awaited: deliveries run concurrently (bounded above) and each settles its own row.
            _ = Deliver(row, attempt);
        }

        Arm();
    }

    private async Task Deliver(DueDeadline row, int attempt)
    {
        var firedAt = clock.GetUtcNow();
        try
        {
            var target = GrainFactory.GetGrain<IDeadlineTarget>(GrainId.Parse(row.Target));
            await target.OnDeadline(new DeadlineFired(row.Id, row.Kind, row.Payload, DateTimeOffset.FromUnixTimeMilliseconds(row.DueAtMs), firedAt, attempt));
            inFlight--;
            deliveredCount++;
            failedAttempts.Remove(row.Id);
            metrics.Delivered(Math.Max(0, firedAt.ToUnixTimeMilliseconds() - row.DueAtMs));
            delivered.Add((row.Id, row.DueAtMs));
            _ = DeleteDelivered();
        }
        catch (Exception ex)
        {
            inFlight--;
            failureCount++;
            metrics.DeliveryFailed();
            var backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, TimeSpan.FromSeconds(1).Ticks << Math.Min(attempt - 1, 16)));
            retries[row.Id] = (attempt, NowMs() + (long)backoff.TotalMilliseconds);
            logger.Log(
                attempt >= 5 ? LogLevel.Error : LogLevel.Warning,
                ex,
                "Deadline {Id} (due {DueAt:o}) to {Target}: delivery attempt {Attempt} failed; retrying in {Backoff}",
                row.Id,
                DateTimeOffset.FromUnixTimeMilliseconds(row.DueAtMs),
                row.Target,
                attempt,
                backoff);
        }

        if (backlog)
        {
            ArmAt(NowMs());
        }
        else
        {
            Arm();
        }
    }

    private async Task DeleteDelivered()
    {
        if (deleting)
        {
            return;
        }

        deleting = true;
        try
        {
            while (delivered.Count > 0)
            {
                var batch = delivered.Take(DeleteBatch).ToList();
                delivered.RemoveRange(0, batch.Count);
                try
                {
                    await store.DeleteDeliveredAsync(batch, CancellationToken.None);
                    foreach (var (id, _) in batch)
                    {
                        claimed.Remove(id);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Still claimed, so not delivered again by this activation; after a crash they would be (at-least-once).
                    logger.LogWarning(ex, "Deadline shard {Shard}: could not delete {Count} delivered deadlines; retrying", shard, batch.Count);
                    delivered.InsertRange(0, batch);
                    await Task.Delay(StorageRetry, clock);
                }
            }
        }
        finally
        {
            deleting = false;
        }
    }

    private void Arm()
    {
        var next = long.MaxValue;
        if (window.Count > 0)
        {
            next = window.Peek();
        }

        foreach (var retry in retries.Values)
        {
            next = Math.Min(next, retry.RetryAtMs);
        }

        next = Math.Min(next, storageRetryAtMs);
        if (backlog && inFlight < settings.MaxConcurrentDeliveriesPerShard)
        {
            next = Math.Min(next, NowMs());
        }

        ArmAt(next);
    }

    private void ArmAt(long atMs)
    {
        if (wakeTimer is null || atMs == armedAtMs)
        {
            return;
        }

        if (atMs == long.MaxValue)
        {
            wakeTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        else
        {
            var delay = TimeSpan.FromMilliseconds(Math.Max(0, atMs - NowMs()));
            wakeTimer.Change(delay, Timeout.InfiniteTimeSpan);
        }

        armedAtMs = atMs;
    }

    private void ReportPending()
    {
        var delta = window.Count - reportedPending;
        if (delta != 0)
        {
            metrics.AdjustPending(delta);
            reportedPending = window.Count;
        }
    }
}
