using System.Diagnostics.Metrics;

namespace SupportPlatform.LiveQueue;

/// <summary>The live queue's instruments (meter <see cref="MeterName"/>, exported by the host).</summary>
internal sealed class LiveQueueMetrics
{
    public const string MeterName = "SupportPlatform.LiveQueue";

    private readonly UpDownCounter<long> clients;
    private readonly Counter<long> published;
    private readonly Counter<long> dropped;
    private readonly Counter<long> slowClients;

    public LiveQueueMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        clients = meter.CreateUpDownCounter<long>("supportplatform.livequeue.clients", unit: "{connection}", description: "SignalR connections to the live hub on this node.");
        published = meter.CreateCounter<long>("supportplatform.livequeue.changes.published", unit: "{change}", description: "Changes handed to the live queue on this node.");
        dropped = meter.CreateCounter<long>(
            "supportplatform.livequeue.changes.dropped",
            unit: "{change}",
            description: "Changes that never reached the hub grain: the publish queue was full (reason=queue-full) or the hub could not be reached (reason=hub-unreachable).");
        slowClients = meter.CreateCounter<long>(
            "supportplatform.livequeue.slow_clients",
            unit: "{push}",
            description: "Pushes that timed out because a client stopped reading; the client is disconnected and catches up when it reconnects.");
    }

    public void Connected() => clients.Add(1);

    public void Disconnected() => clients.Add(-1);

    public void Published() => published.Add(1);

    public void Dropped(string reason, int count = 1) => dropped.Add(count, new KeyValuePair<string, object?>("reason", reason));

    public void SlowClient() => slowClients.Add(1);
}
