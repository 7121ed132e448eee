using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Persistence;

/// <summary>Ticket numbers for other modules, from the same blocks the REST API draws from.</summary>
internal sealed class TicketNumbers(TicketStore store) : ITicketNumbers
{
    public Task<long> AllocateAsync(CancellationToken cancellationToken) => store.AllocateNumberAsync(cancellationToken);
}
