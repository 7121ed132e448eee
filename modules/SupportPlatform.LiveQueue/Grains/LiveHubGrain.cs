using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Utilities;
using SupportPlatform.LiveQueue.Contracts;

namespace SupportPlatform.LiveQueue.Grains;

/// <summary>
/// Sequence numbers start from the activation time in milliseconds times 1000, so a re-activation (after its node
/// went down) continues above every number the previous one handed out (unless that one numbered more than a million
/// changes a second): nodes and clients holding older numbers see a jump and are told to reset, never silently miss
/// changes. Nothing is persisted: the live queue is a notification of what the read model already holds.
/// </summary>
[KeepAlive]
internal sealed class LiveHubGrain : Grain, ILiveHubGrain
{
    private readonly ObserverManager<ILiveNodeObserver> nodes;
    private readonly ChangeLog log;
    private readonly TimeProvider clock;

    public LiveHubGrain(IOptions<LiveQueueOptions> options, TimeProvider clock, ILogger<LiveHubGrain> logger)
    {
        this.clock = clock;
        // A node renews every ResubscribeInterval; three missed renewals mean it is gone.
        nodes = new ObserverManager<ILiveNodeObserver>(options.Value.ResubscribeInterval * 3, logger);
        log = new ChangeLog(options.Value.CatchUpBufferSize);
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        log.Reset(clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000);
        return Task.CompletedTask;
    }

    public Task Publish(LiveChange[] changes)
    {
        var numbered = new LiveChange[changes.Length];
        for (var i = 0; i < changes.Length; i++)
        {
            numbered[i] = changes[i] with { Seq = log.LastSeq + 1 };
            log.Append(numbered[i]);
        }

        nodes.Notify(node => node.OnChanges(numbered));
        return Task.CompletedTask;
    }

    public Task<HubCatchUp> Subscribe(ILiveNodeObserver observer, long? afterSeq)
    {
        nodes.Subscribe(observer, observer);
        if (afterSeq is { } after && log.After(after) is { } missed)
        {
            return Task.FromResult(new HubCatchUp(missed, false, log.Floor, log.LastSeq));
        }

        return Task.FromResult(new HubCatchUp(log.All(), afterSeq is not null, log.Floor, log.LastSeq));
    }

    public Task Unsubscribe(ILiveNodeObserver observer)
    {
        nodes.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task Presence(TicketPresence presence)
    {
        nodes.Notify(node => node.OnPresence(presence));
        return Task.CompletedTask;
    }
}
