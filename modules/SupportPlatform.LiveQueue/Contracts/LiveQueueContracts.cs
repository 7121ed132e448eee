using SupportPlatform.Core;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.LiveQueue.Contracts;

/// <summary>What happened, as the live queue shows it. JSON: kebab-case (<c>"sla-warning"</c>).</summary>
public enum LiveChangeKind
{
    /// <summary>A ticket was opened.</summary>
    Created = 0,

    /// <summary>Anything else about a ticket changed (priority, subject, tags, references, split, follow-up...).</summary>
    Updated = 1,

    /// <summary>The group or agent changed.</summary>
    Assigned = 2,

    /// <summary>A reply or an internal note was added.</summary>
    Replied = 3,

    /// <summary>The status moved.</summary>
    Status = 4,

    /// <summary>An SLA clock reached its warning share.</summary>
    SlaWarning = 5,

    /// <summary>An SLA clock ran out.</summary>
    SlaBreach = 6,

    /// <summary>The ticket was escalated.</summary>
    Escalated = 7,

    /// <summary>The ticket was merged into another, or another into it.</summary>
    Merged = 8,

    /// <summary>A phone call came in (published by the phone module).</summary>
    Call = 9,

    /// <summary>A voicemail was left (published by the phone module).</summary>
    Voicemail = 10,
}

/// <summary>The ticket fields a queue row shows; the same names as <c>GET /api/tickets</c> items.</summary>
[GenerateSerializer, Immutable, Alias("sp.livequeue.ticket")]
public sealed record LiveTicket(
    [property: Id(0)] long Id,
    [property: Id(1)] string Subject,
    [property: Id(2)] string AccountId,
    [property: Id(3)] string RequesterId,
    [property: Id(4)] Priority Priority,
    [property: Id(5)] TicketStatus Status,
    [property: Id(6)] TicketChannel Channel,
    [property: Id(7)] string? Group,
    [property: Id(8)] string? AgentId,
    [property: Id(9)] DateTimeOffset? NextDueAt,
    [property: Id(10)] bool Breached,
    [property: Id(11)] DateTimeOffset UpdatedAt)
{
    /// <summary>
    /// The queue row of <paramref name="view"/>: <see cref="NextDueAt"/> is the nearest breach time of a running,
    /// not yet breached SLA clock (as the read model's <c>nextDueAt</c>); <see cref="Breached"/> is true once any clock
    /// has breached.
    /// </summary>
    public static LiveTicket From(TicketView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        DateTimeOffset? nextDue = null;
        var breached = false;
        foreach (var clock in view.Sla)
        {
            breached |= clock.Breached;
            if (clock is { State: "running", Breached: false, DueAt: { } due } && (nextDue is null || due < nextDue))
            {
                nextDue = due;
            }
        }

        return new LiveTicket(
            view.Id, view.Subject, view.AccountId, view.RequesterId, view.Priority, view.Status, view.Channel,
            view.Group, view.AgentId, nextDue, breached, view.UpdatedAt);
    }
}

/// <summary>
/// One change pushed to clients (<c>queueChanged</c>, <c>ticketChanged</c>). <see cref="Seq"/> grows across the whole
/// cluster; <see cref="At"/> is when the change was committed (for a ticket: right after its transaction).
/// </summary>
[GenerateSerializer, Immutable, Alias("sp.livequeue.change")]
public sealed record LiveChange(
    [property: Id(0)] long Seq,
    [property: Id(1)] LiveChangeKind Kind,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] LiveTicket? Ticket,
    [property: Id(4)] string? Detail);

/// <summary>
/// The answer to <c>SubscribeQueue(lastSeq)</c>: the changes after <c>lastSeq</c> still held, or <see cref="Reset"/> when
/// some are gone (the client reloads the queue from <c>GET /api/tickets?sort=queue</c>). <see cref="LastSeq"/> is the
/// newest sequence number this node has seen: a client that starts fresh remembers it, so that its next reconnect can
/// catch up even if no change arrived in between.
/// </summary>
public sealed record QueueCatchUp(IReadOnlyList<LiveChange> Changes, bool Reset, long LastSeq);

/// <summary>Someone looking at a ticket page.</summary>
[GenerateSerializer, Immutable, Alias("sp.livequeue.viewer")]
public sealed record TicketViewer(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] bool Typing);

/// <summary>Everyone on a ticket page right now (<c>presence</c>), on every node of the cluster.</summary>
[GenerateSerializer, Immutable, Alias("sp.livequeue.presence")]
public sealed record TicketPresence(
    [property: Id(0)] long TicketId,
    [property: Id(1)] IReadOnlyList<TicketViewer> Viewers);

/// <summary>
/// Puts a change on the live queue of every staff member connected to any node. Modules call it for what is not a
/// ticket change (the phone module: an incoming call, a voicemail; monitoring...); ticket changes are published by the
/// live queue itself. Never blocks and never throws: the change goes into a bounded in-memory queue that a background
/// pump forwards; when that queue is full the oldest change is dropped and counted
/// (<c>supportplatform.livequeue.changes.dropped</c>); clients that miss changes reload the queue.
/// </summary>
public interface ILiveQueuePublisher
{
    /// <summary>Publishes one change.</summary>
    /// <param name="kind">What happened.</param>
    /// <param name="ticket">The ticket it concerns, if any (a call not yet linked to a ticket has none).</param>
    /// <param name="detail">A short text for the queue row ("from +44 20 7946 0000", "rule 'network' matched").</param>
    /// <param name="at">When it happened; now when null.</param>
    void Publish(LiveChangeKind kind, LiveTicket? ticket, string? detail = null, DateTimeOffset? at = null);
}
