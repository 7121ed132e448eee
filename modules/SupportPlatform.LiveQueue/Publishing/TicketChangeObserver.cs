using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.LiveQueue.Publishing;

/// <summary>Turns each committed ticket change into one live change (the most telling of its events).</summary>
internal sealed class TicketChangeObserver(ILiveQueuePublisher publisher, TimeProvider clock) : ITicketObserver
{
    public Task OnTicketChangedAsync(TicketChange change, CancellationToken cancellationToken)
    {
        // Called right after the commit: this is the moment clients measure latency from.
        var at = clock.GetUtcNow();
        var (kind, detail) = Describe(change.Events);
        publisher.Publish(kind, LiveTicket.From(change.Ticket), detail, at);
        return Task.CompletedTask;
    }

    /// <summary>The event that matters most to someone watching the queue decides the kind.</summary>
    internal static (LiveChangeKind Kind, string? Detail) Describe(IReadOnlyList<TicketEvent> events)
    {
        (LiveChangeKind Kind, string? Detail)? best = null;
        var bestRank = int.MaxValue;
        foreach (var e in events)
        {
            var (rank, kind, detail) = e switch
            {
                SlaBreached b => (0, LiveChangeKind.SlaBreach, b.Clock),
                SlaWarned w => (1, LiveChangeKind.SlaWarning, w.Clock),
                TicketCreated => (2, LiveChangeKind.Created, null),
                MergedInto m => (3, LiveChangeKind.Merged, $"merged into #{m.Target}"),
                MergeReceived m => (3, LiveChangeKind.Merged, $"#{m.Source} merged in"),
                Escalated x => (4, LiveChangeKind.Escalated, x.Reason),
                Assigned a => (5, LiveChangeKind.Assigned, a.Reason),
                CommentAdded c => (6, LiveChangeKind.Replied, $"{(c.Visibility == CommentVisibility.Public ? "reply" : "internal note")} by {e.Actor.Name}"),
                StatusChanged s => (7, LiveChangeKind.Status, $"{Kebab(s.From)} to {Kebab(s.To)}"),
                _ => (8, LiveChangeKind.Updated, (string?)e.Kind),
            };
            if (rank < bestRank)
            {
                bestRank = rank;
                best = (kind, detail);
            }
        }

        return best ?? (LiveChangeKind.Updated, null);
    }

    private static string Kebab(TicketStatus status) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(status.ToString());
}
