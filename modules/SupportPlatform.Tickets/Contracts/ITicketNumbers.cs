namespace SupportPlatform.Tickets.Contracts;

/// <summary>
/// Hands out ticket numbers for modules that open tickets themselves (monitoring incidents, inbound channels). A number
/// reserved before the ticket exists lets a caller store it first and call <see cref="ITicketGrain.Create"/> later,
/// as often as it needs to: Create is idempotent, so a retry after a crash opens the same ticket.
/// </summary>
public interface ITicketNumbers
{
    /// <summary>A new, never used ticket number.</summary>
    /// <param name="cancellationToken">Cancels the allocation.</param>
    /// <returns>The number (the key of an <see cref="ITicketGrain"/>).</returns>
    Task<long> AllocateAsync(CancellationToken cancellationToken);
}
