using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace SupportPlatform.Monitoring.Live;

/// <summary>
/// This node's end of the dashboard fan-out: a grain observer subscribed to <see cref="IDashboardFeedGrain"/> (renewed
/// every <see cref="RenewInterval"/>: subscriptions expire, and a feed re-activated elsewhere starts with none), and the
/// pushes to this node's SignalR clients. Changes that arrive together go out as one message per group, so an alert
/// storm costs a handful of pushes, not one per alert.
/// </summary>
internal sealed class DashboardRelay(IGrainFactory grains, IHubContext<DashboardHub> hub, ILogger<DashboardRelay> logger)
    : IDashboardNodeObserver, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<DashboardChange?> outbox = Channel.CreateUnbounded<DashboardChange?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource stopping = new();
    private IDashboardNodeObserver? reference;
    private Guid? epoch;
    private bool renewFailed;
    private int disposed;

    private IDashboardFeedGrain Feed => grains.GetGrain<IDashboardFeedGrain>(0);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DashboardRelay), ServiceLifecycleStage.Active, OnActive, OnStop);

    public Task OnChanged(DashboardChange change)
    {
        outbox.Writer.TryWrite(change);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        // Registered twice (itself and as a lifecycle participant), so disposed twice.
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        stopping.Cancel();
        stopping.Dispose();
    }

    private Task OnActive(CancellationToken cancellationToken)
    {
        reference = grains.CreateObjectReference<IDashboardNodeObserver>(this);
        _ = PushLoopAsync();
        _ = RenewLoopAsync(stopping.Token);
        return Task.CompletedTask;
    }

    private async Task OnStop(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        outbox.Writer.TryComplete();
        if (reference is null)
        {
            return;
        }

        try
        {
            await Feed.Unsubscribe(reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The subscription expires on its own.
            logger.LogDebug(ex, "Could not unsubscribe from the dashboard feed");
        }

        grains.DeleteObjectReference<IDashboardNodeObserver>(reference);
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var ok = await RenewAsync();
            try
            {
                await Task.Delay(ok ? RenewInterval : TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> RenewAsync()
    {
        try
        {
            var current = await Feed.Subscribe(reference!);
            // A new feed (re-activated after its node went down) or a gap in our subscription: changes may have been
            // missed, so every open dashboard on this node reloads (null in the outbox means "resync").
            if ((epoch is { } known && known != current) || renewFailed)
            {
                outbox.Writer.TryWrite(null);
            }

            epoch = current;
            renewFailed = false;
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            renewFailed = true;
            logger.LogWarning(ex, "Could not subscribe to the monitoring dashboard feed; retrying");
            return false;
        }
    }

    private async Task PushLoopAsync()
    {
        var batch = new List<DashboardChange>();
        while (await outbox.Reader.WaitToReadAsync())
        {
            var resync = false;
            batch.Clear();
            while (batch.Count < 1000 && outbox.Reader.TryRead(out var item))
            {
                if (item is null)
                {
                    resync = true;
                }
                else
                {
                    batch.Add(item);
                }
            }

            if (resync)
            {
                Send(DashboardHub.EveryoneGroup, "resync", new { reason = "The live feed restarted; changes may have been missed." });
            }

            if (batch.Count == 0)
            {
                continue;
            }

            // Latest change per system, in arrival order.
            var latest = batch.GroupBy(c => c.SystemId, StringComparer.Ordinal).Select(g => g.Last()).ToList();
            Send(DashboardHub.StaffGroup, "systemsChanged", latest);
            foreach (var account in latest.GroupBy(c => c.AccountId, StringComparer.Ordinal))
            {
                Send(DashboardHub.AccountGroup(account.Key), "systemsChanged", account.ToList());
            }
        }
    }

    /// <summary>One serialisation, written to every connection of the group; not awaited, so a client that stopped reading delays nobody (SignalR closes it after the timeout).</summary>
    private void Send(string group, string method, object payload)
    {
        var timeout = new CancellationTokenSource(SendTimeout);
        try
        {
            var send = hub.Clients.Group(group).SendAsync(method, payload, timeout.Token);
            if (send.IsCompleted)
            {
                timeout.Dispose();
                return;
            }

            _ = send.ContinueWith(
                t =>
                {
                    timeout.Dispose();
                    if (t.Exception is { } ex)
                    {
                        logger.LogDebug(ex, "Push of {Method} to {Group} failed", method, group);
                    }
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            timeout.Dispose();
            logger.LogWarning(ex, "Could not push {Method} to {Group}", method, group);
        }
    }
}
