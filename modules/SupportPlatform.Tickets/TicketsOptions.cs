namespace SupportPlatform.Tickets;

/// <summary>Ticket lifecycle settings (section <c>Tickets</c>); per-contract values replace them once accounts carry them.</summary>
internal sealed class TicketsOptions
{
    public const string Section = "Tickets";

    /// <summary>A client reply within this time after resolution reopens the ticket; later, it opens a linked follow-up.</summary>
    public TimeSpan ReopenWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A resolved ticket closes after this quiet period.</summary>
    public TimeSpan CloseAfter { get; set; } = TimeSpan.FromDays(3);
}
