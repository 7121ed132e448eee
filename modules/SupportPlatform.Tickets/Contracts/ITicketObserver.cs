namespace SupportPlatform.Tickets.Contracts;

/// <summary>
/// Told of every committed change to a ticket (new tickets, replies, status changes, SLA warnings and breaches...).
/// Modules register implementations in DI (live queue, notifications, requester updates by email). Called on the silo
/// that hosts the ticket, after the change is stored; an exception is logged and does not undo the change.
/// </summary>
public interface ITicketObserver
{
    /// <summary>Handles one committed change.</summary>
    Task OnTicketChangedAsync(TicketChange change, CancellationToken cancellationToken);
}

/// <summary>A committed change: the ticket after it, and the events it added.</summary>
public sealed record TicketChange(TicketView Ticket, IReadOnlyList<TicketEvent> Events);
