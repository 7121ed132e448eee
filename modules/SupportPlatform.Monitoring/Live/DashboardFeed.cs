using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Utilities;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Monitoring.Live;

/// <summary>
/// A system whose dashboard figures changed (state, problems, incident, maintenance, definition). It says what changed,
/// not the figures: pages read them through <c>GET /api/monitoring/dashboard</c>, which applies the caller's access.
/// </summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.dashboard-change")]
internal sealed record DashboardChange(
    [property: Id(0)] string SystemId,
    [property: Id(1)] string AccountId,
    [property: Id(2)] AlertState Status,
    [property: Id(3)] DateTimeOffset At);

/// <summary>
/// The dashboards' fan-out (key 0, one per cluster): system grains on any node tell it of changes, it forwards them to
/// one observer per node (<see cref="DashboardRelay"/>), which pushes them to that node's SignalR clients. The same
/// shape as the live queue's hub grain, without numbering or catch-up: the dashboard endpoint is the truth, so a client
/// that may have missed something (after a reconnect, or when the feed moved to another node) simply reloads it.
/// </summary>
[Alias("sp.monitoring.dashboard-feed")]
internal interface IDashboardFeedGrain : IGrainWithIntegerKey
{
    [Alias("publish"), OneWay]
    Task Publish(DashboardChange change);

    /// <summary>Subscribes or renews a node's observer; answers the feed's epoch (its activation), which changes when the feed is re-activated.</summary>
    [Alias("subscribe")]
    Task<Guid> Subscribe(IDashboardNodeObserver observer);

    [Alias("unsubscribe")]
    Task Unsubscribe(IDashboardNodeObserver observer);
}

/// <summary>A node's receiver of dashboard changes (a grain observer).</summary>
[Alias("sp.monitoring.dashboard-node")]
internal interface IDashboardNodeObserver : IGrainObserver
{
    [Alias("changed"), OneWay]
    Task OnChanged(DashboardChange change);
}

[KeepAlive]
internal sealed class DashboardFeedGrain(ILogger<DashboardFeedGrain> logger) : Grain, IDashboardFeedGrain
{
    /// <summary>Nodes renew every <see cref="DashboardRelay.RenewInterval"/>; three missed renewals mean the node is gone.</summary>
    private readonly ObserverManager<IDashboardNodeObserver> nodes = new(DashboardRelay.RenewInterval * 3, logger);
    private readonly Guid epoch = Guid.NewGuid();

    public Task Publish(DashboardChange change)
    {
        nodes.Notify(node => node.OnChanged(change));
        return Task.CompletedTask;
    }

    public Task<Guid> Subscribe(IDashboardNodeObserver observer)
    {
        nodes.Subscribe(observer, observer);
        return Task.FromResult(epoch);
    }

    public Task Unsubscribe(IDashboardNodeObserver observer)
    {
        nodes.Unsubscribe(observer);
        return Task.CompletedTask;
    }
}
