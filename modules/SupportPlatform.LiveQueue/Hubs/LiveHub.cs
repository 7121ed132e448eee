using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.LiveQueue.Grains;

namespace SupportPlatform.LiveQueue.Hubs;

/// <summary>
/// <c>/hubs/live</c>: the live queue and the ticket page. The contract (methods, messages, shapes) is documented in the
/// module's README.md; keep the two in step.
/// </summary>
internal sealed class LiveHub(LiveRelay relay, IGrainFactory grains, ILocalSiloDetails node, LiveQueueMetrics metrics, ILogger<LiveHub> logger)
    : Hub
{
    public const string QueueGroup = "queue";
    public const int MaxWatchedTickets = 20;
    private const string WatchedKey = "sp.live.watched";

    public static string TicketGroup(long ticketId) => "ticket:" + ticketId.ToString(CultureInfo.InvariantCulture);

    public override Task OnConnectedAsync()
    {
        metrics.Connected();
        Context.Items[WatchedKey] = new HashSet<long>();
        return Task.CompletedTask;
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        metrics.Disconnected();
        long[] watched;
        lock (Watched)
        {
            watched = [.. Watched];
            Watched.Clear();
        }

        foreach (var ticketId in watched)
        {
            try
            {
                await grains.GetGrain<ITicketPresenceGrain>(ticketId).Leave(Context.ConnectionId);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogWarning(ex, "Could not remove a viewer of ticket {Ticket}", ticketId);
            }
        }
    }

    /// <summary>Joins the live queue; answers what was missed since <paramref name="lastSeq"/>.</summary>
    public async Task<QueueCatchUp> SubscribeQueue(long? lastSeq)
    {
        // Join first, then read the backlog: a change arriving in between is sent twice (clients skip seq they have), never lost.
        await Groups.AddToGroupAsync(Context.ConnectionId, QueueGroup);
        return relay.CatchUp(lastSeq);
    }

    /// <summary>Receives the ticket's changes and presence, and shows this user among its viewers.</summary>
    public async Task WatchTicket(long id)
    {
        RequireTicketId(id);
        lock (Watched)
        {
            if (!Watched.Contains(id) && Watched.Count >= MaxWatchedTickets)
            {
                throw new HubException($"A connection can watch at most {MaxWatchedTickets} tickets at once; call UnwatchTicket for the ones no longer shown.");
            }

            Watched.Add(id);
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, TicketGroup(id));
        await grains.GetGrain<ITicketPresenceGrain>(id).Join(Context.ConnectionId, node.SiloAddress, Viewer());
    }

    /// <summary>Stops watching a ticket.</summary>
    public async Task UnwatchTicket(long id)
    {
        RequireTicketId(id);
        lock (Watched)
        {
            if (!Watched.Remove(id))
            {
                return;
            }
        }

        await Groups.RemoveFromGroupAsync(Context.ConnectionId, TicketGroup(id));
        await grains.GetGrain<ITicketPresenceGrain>(id).Leave(Context.ConnectionId);
    }

    /// <summary>Tells the other viewers of a watched ticket that this user is (or stopped) typing.</summary>
    public Task Typing(long id, bool typing)
    {
        RequireTicketId(id);
        lock (Watched)
        {
            if (!Watched.Contains(id))
            {
                throw new HubException($"Ticket {id} is not watched by this connection; call WatchTicket({id}) first.");
            }
        }

        return grains.GetGrain<ITicketPresenceGrain>(id).Typing(Context.ConnectionId, typing);
    }

    private HashSet<long> Watched => (HashSet<long>)Context.Items[WatchedKey]!;

    private static void RequireTicketId(long id)
    {
        if (id <= 0)
        {
            throw new HubException($"{id} is not a ticket number; ticket numbers start at 1.");
        }
    }

    /// <summary>The signed-in staff user (the hub requires the staff policy, so there always is one).</summary>
    private TicketViewer Viewer()
    {
        var user = Context.User;
        var id = user?.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (user?.Identity?.IsAuthenticated != true || string.IsNullOrEmpty(id))
        {
            throw new HubException("This connection is not signed in; connect with an API token or the sign-in cookie.");
        }

        return new TicketViewer(id, user.FindFirst(ClaimTypes.Name)?.Value ?? id, false);
    }
}
