using Orleans.Runtime;
using SupportPlatform.LiveQueue.Contracts;

namespace SupportPlatform.LiveQueue.Grains;

/// <summary>
/// Viewers by connection. A connection whose node has died never says goodbye, so viewers on nodes that the cluster
/// declared dead are dropped at the next change. Nothing is persisted: after a restart viewers join again.
/// </summary>
internal sealed class TicketPresenceGrain(IClusterMembershipService membership) : Grain, ITicketPresenceGrain
{
    private readonly Dictionary<string, (SiloAddress Node, TicketViewer Viewer)> connections = new(StringComparer.Ordinal);

    private long TicketId => this.GetPrimaryKeyLong();

    public Task Join(string connectionId, SiloAddress node, TicketViewer viewer)
    {
        connections[connectionId] = (node, viewer);
        return Broadcast();
    }

    public Task Leave(string connectionId) => connections.Remove(connectionId) ? Broadcast() : Task.CompletedTask;

    public Task Typing(string connectionId, bool typing)
    {
        if (!connections.TryGetValue(connectionId, out var entry) || entry.Viewer.Typing == typing)
        {
            return Task.CompletedTask;
        }

        connections[connectionId] = entry with { Viewer = entry.Viewer with { Typing = typing } };
        return Broadcast();
    }

    public Task<TicketPresence> Get() => Task.FromResult(Current());

    private Task Broadcast()
    {
        var snapshot = membership.CurrentSnapshot;
        foreach (var (connection, entry) in connections.ToList())
        {
            if (snapshot.GetSiloStatus(entry.Node) == SiloStatus.Dead)
            {
                connections.Remove(connection);
            }
        }

        if (connections.Count == 0)
        {
            DeactivateOnIdle();
        }
        else
        {
            // Idle collection would forget people who are still reading the page.
            DelayDeactivation(TimeSpan.FromHours(12));
        }

        return GrainFactory.GetGrain<ILiveHubGrain>(0).Presence(Current());
    }

    // One entry per person: the same user in two tabs is one viewer, typing if either tab is.
    private TicketPresence Current() => new(
        TicketId,
        connections.Values
            .GroupBy(e => e.Viewer.Id, StringComparer.Ordinal)
            .Select(g => g.First().Viewer with { Typing = g.Any(e => e.Viewer.Typing) })
            .OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase)
            .ThenBy(v => v.Id, StringComparer.Ordinal)
            .ToList());
}
