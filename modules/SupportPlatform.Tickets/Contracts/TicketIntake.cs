namespace SupportPlatform.Tickets.Contracts;

/// <summary>
/// Ticket numbers for channels that open tickets themselves (mail, phone): a caller draws the number first and stores it
/// with its own record, so that a retry after a crash calls <see cref="ITicketGrain.Create"/> on the same number
/// (idempotent) instead of opening a second ticket.
/// </summary>
public interface ITicketNumbers
{
    /// <summary>A new, unused ticket number.</summary>
    Task<long> AllocateAsync(CancellationToken cancellationToken = default);
}

/// <summary>The ticket attachment store, for channels that bring files (mail attachments, voicemail recordings).</summary>
public interface ITicketAttachments
{
    /// <summary>The largest file accepted (<c>SupportPlatform:Attachments:MaxFileBytes</c>).</summary>
    long MaxFileBytes { get; }

    /// <summary>The most files on one ticket or comment (<c>SupportPlatform:Attachments:MaxFiles</c>).</summary>
    int MaxFiles { get; }

    /// <summary>
    /// Stores a file for ticket <paramref name="ticketId"/> under <paramref name="id"/> (32 lower-case hex digits, chosen
    /// by the caller so that a retry overwrites the same file instead of leaving a copy), after checking its size and
    /// that its first bytes match an accepted type. The bytes are flushed to disk before it returns.
    /// </summary>
    /// <returns>The reference to put on the ticket or comment, or why the file was refused.</returns>
    Task<AttachmentSaveResult> SaveAsync(long ticketId, string id, string fileName, string? contentType, Stream content, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="ITicketAttachments.SaveAsync"/>: the stored file, or the reason it was refused.</summary>
public sealed record AttachmentSaveResult(AttachmentRef? Attachment, string? Error);
