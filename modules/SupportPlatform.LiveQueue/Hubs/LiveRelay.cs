using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.LiveQueue.Grains;

namespace SupportPlatform.LiveQueue.Hubs;

/// <summary>
/// This node's end of the fan-out: one grain observer subscribed to the hub grain (renewed periodically, since
/// subscriptions expire and a re-activated hub starts with none), a copy of the recent changes for reconnecting
/// clients, and the pushes to this node's SignalR clients.
/// </summary>
internal sealed class LiveRelay(
    IGrainFactory grains,
    IHubContext<LiveHub> hub,
    IOptions<LiveQueueOptions> options,
    LiveQueueMetrics metrics,
    ILogger<LiveRelay> logger) : ILiveNodeObserver, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly Lock gate = new();
    private readonly ChangeLog log = new(options.Value.CatchUpBufferSize);
    private readonly TimeSpan sendTimeout = options.Value.SendTimeout;
    private readonly CancellationTokenSource stopping = new();
    private readonly SemaphoreSlim syncing = new(1, 1);
    // One consumer pushes in order; the lock is only held to number and enqueue, so hub calls never wait for a fan-out.
    private readonly Channel<object> outbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private ILiveNodeObserver? reference;
    private bool seeded;
    private int disposed;

    private ILiveHubGrain Hub => grains.GetGrain<ILiveHubGrain>(0);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(LiveRelay), ServiceLifecycleStage.Active, OnActive, OnStop);

    /// <summary>What a client that last saw <paramref name="lastSeq"/> missed (see <see cref="QueueCatchUp"/>).</summary>
    public QueueCatchUp CatchUp(long? lastSeq)
    {
        lock (gate)
        {
            if (lastSeq is not { } after)
            {
                return new QueueCatchUp([], false, log.LastSeq);
            }

            // A client ahead of this node (it came from a node that received a change a moment earlier) missed nothing.
            if (after > log.LastSeq && seeded && after - log.LastSeq < 1000)
            {
                return new QueueCatchUp([], false, log.LastSeq);
            }

            return log.After(after) is { } missed ? new QueueCatchUp(missed, false, log.LastSeq) : new QueueCatchUp([], true, log.LastSeq);
        }
    }

    public Task OnChanges(LiveChange[] changes)
    {
        var gap = false;
        lock (gate)
        {
            if (!seeded)
            {
                // Not subscribed yet: the subscription's answer brings these.
                return Task.CompletedTask;
            }

            foreach (var change in changes)
            {
                if (change.Seq <= log.LastSeq)
                {
                    continue;
                }

                if (!log.Append(change))
                {
                    gap = true;
                    break;
                }

                Push(change);
            }
        }

        if (gap)
        {
            // Something was lost on the way (or the hub moved to a new epoch): ask the hub for what is missing.
            _ = SyncAsync();
        }

        return Task.CompletedTask;
    }

    public Task OnPresence(TicketPresence presence)
    {
        outbox.Writer.TryWrite(presence);
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
        syncing.Dispose();
    }

    private Task OnActive(CancellationToken cancellationToken)
    {
        reference = grains.CreateObjectReference<ILiveNodeObserver>(this);
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
            await Hub.Unsubscribe(reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The subscription expires on its own.
            logger.LogDebug(ex, "Could not unsubscribe from the live hub");
        }

        grains.DeleteObjectReference<ILiveNodeObserver>(reference);
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.ResubscribeInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            var ok = await SyncAsync();
            try
            {
                await Task.Delay(ok ? interval : TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Subscribes (or renews) and applies what the hub says this node missed.</summary>
    private async Task<bool> SyncAsync()
    {
        if (reference is null || !await syncing.WaitAsync(0))
        {
            return true;
        }

        try
        {
            long? after;
            lock (gate)
            {
                after = seeded ? log.LastSeq : null;
            }

            var answer = await Hub.Subscribe(reference, after);
            lock (gate)
            {
                var push = seeded;
                if (!seeded || answer.Reset)
                {
                    if (seeded)
                    {
                        logger.LogWarning("The live hub no longer holds changes after {Seq}; clients that missed them reload the queue", after);
                    }

                    log.Reset(answer.Floor);
                    seeded = true;
                }

                foreach (var change in answer.Changes)
                {
                    if (change.Seq > log.LastSeq && log.Append(change) && push)
                    {
                        Push(change);
                    }
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning(ex, "Could not subscribe to the live hub; retrying");
            return false;
        }
        finally
        {
            syncing.Release();
        }
    }

    // Called under the lock, so changes are queued in order.
    private void Push(LiveChange change) => outbox.Writer.TryWrite(change);

    private async Task PushLoopAsync()
    {
        while (await outbox.Reader.WaitToReadAsync())
        {
            while (outbox.Reader.TryRead(out var item))
            {
                if (item is LiveChange change)
                {
                    Send(LiveHub.QueueGroup, "queueChanged", change);
                    if (change.Ticket is { } ticket)
                    {
                        Send(LiveHub.TicketGroup(ticket.Id), "ticketChanged", change);
                    }
                }
                else if (item is TicketPresence presence)
                {
                    Send(LiveHub.TicketGroup(presence.TicketId), "presence", presence);
                }
            }
        }
    }

    /// <summary>
    /// One serialisation, then a write to every connection of the group. Writes to clients that keep up complete at
    /// once; the call is not awaited, so a client that stopped reading delays nobody. Its write is cancelled after
    /// the send timeout, which makes SignalR close that connection; the client reconnects and catches up.
    /// </summary>
    private void Send(string group, string method, object payload)
    {
        var timeout = new CancellationTokenSource(sendTimeout);
        Task send;
        try
        {
            send = hub.Clients.Group(group).SendAsync(method, payload, timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            timeout.Dispose();
            logger.LogWarning(ex, "Could not push {Method} to {Group}", method, group);
            return;
        }

        if (send.IsCompletedSuccessfully)
        {
            timeout.Dispose();
            return;
        }

        _ = Complete(send, timeout, group, method);
    }

    private async Task Complete(Task send, CancellationTokenSource timeout, string group, string method)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.LogDebug("A client of {Group} did not take {Method} within {Timeout}", group, method, sendTimeout);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogDebug(ex, "Push of {Method} to {Group} failed", method, group);
        }
        finally
        {
            if (timeout.IsCancellationRequested || Stopwatch.GetElapsedTime(started) >= sendTimeout)
            {
                metrics.SlowClient();
            }

            timeout.Dispose();
        }
    }
}
