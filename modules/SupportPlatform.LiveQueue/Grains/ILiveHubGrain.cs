using Orleans.Concurrency;
using SupportPlatform.LiveQueue.Contracts;

namespace SupportPlatform.LiveQueue.Grains;

/// <summary>
/// The one hub of the cluster (key 0): numbers every change, keeps the recent ones, and forwards them to one observer
/// per node (<see cref="ILiveNodeObserver"/>), which pushes them to that node's SignalR clients.
/// </summary>
[Alias("sp.live.hub")]
internal interface ILiveHubGrain : IGrainWithIntegerKey
{
    /// <summary>Numbers the changes in order and forwards them to every subscribed node.</summary>
    [Alias("publish")]
    Task Publish(LiveChange[] changes);

    /// <summary>
    /// Subscribes (or renews) a node's observer and answers what it missed after <paramref name="afterSeq"/>; with null,
    /// every change held. Subscriptions expire unless renewed.
    /// </summary>
    [Alias("subscribe")]
    Task<HubCatchUp> Subscribe(ILiveNodeObserver observer, long? afterSeq);

    /// <summary>Removes a node's observer (graceful shutdown).</summary>
    [Alias("unsubscribe")]
    Task Unsubscribe(ILiveNodeObserver observer);

    /// <summary>Forwards a ticket's presence to every node.</summary>
    [Alias("presence"), OneWay]
    Task Presence(TicketPresence presence);
}

/// <summary>A node's receiver of hub traffic (a grain observer: an object reference, not a grain).</summary>
[Alias("sp.live.node")]
internal interface ILiveNodeObserver : IGrainObserver
{
    [Alias("changes"), OneWay]
    Task OnChanges(LiveChange[] changes);

    [Alias("presence"), OneWay]
    Task OnPresence(TicketPresence presence);
}

/// <summary>
/// The hub's answer to a subscription: <see cref="Changes"/> after the asked number (or all held); <see cref="Reset"/>
/// when the asked number is unknown or too old, in which case <see cref="Changes"/> are all held and everything up to
/// <see cref="Floor"/> is lost.
/// </summary>
[GenerateSerializer, Immutable, Alias("sp.live.hub-catch-up")]
internal sealed record HubCatchUp(
    [property: Id(0)] LiveChange[] Changes,
    [property: Id(1)] bool Reset,
    [property: Id(2)] long Floor,
    [property: Id(3)] long LastSeq);

/// <summary>Who is on one ticket's page (key: the ticket number), cluster-wide.</summary>
[Alias("sp.live.presence")]
internal interface ITicketPresenceGrain : IGrainWithIntegerKey
{
    [Alias("join")]
    Task Join(string connectionId, SiloAddress node, TicketViewer viewer);

    [Alias("leave")]
    Task Leave(string connectionId);

    [Alias("typing")]
    Task Typing(string connectionId, bool typing);

    [Alias("get")]
    Task<TicketPresence> Get();
}
