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

/// <summary>
/// Takes part in the transaction that stores a ticket change, so that what it writes (an outbound notification, an
/// outbox row) exists exactly when the change does: a crash can lose neither one without the other. Keep it short and
/// write only through the given transaction; throwing rolls the change back and the caller sees an error. Called
/// before <see cref="ITicketObserver"/>s, on the silo that hosts the ticket.
/// </summary>
public interface ITicketCommitParticipant
{
    /// <summary>Writes what <paramref name="change"/> calls for through <paramref name="transaction"/>.</summary>
    Task OnCommittingAsync(TicketChange change, System.Data.Common.DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// Writes what each of <paramref name="changes"/> calls for: changes of different tickets that are committed in one
    /// transaction (the ticket writer's group commit), in the order they are stored. By default one after the other;
    /// a participant that can write them all at once (one multi-row statement instead of one round trip per ticket)
    /// overrides it. Throwing rolls back every change of the batch; each is then written again alone.
    /// </summary>
    async Task OnCommittingAsync(IReadOnlyList<TicketChange> changes, System.Data.Common.DbTransaction transaction, CancellationToken cancellationToken)
    {
        foreach (var change in changes)
        {
            await OnCommittingAsync(change, transaction, cancellationToken);
        }
    }
}
