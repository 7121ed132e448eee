namespace SupportPlatform.Sdk.Mail;

/// <summary>
/// Where a mail adapter (IMAP poller, SMTP listener, pipe) hands every message it receives. Implemented by the host's
/// email module; a plugin takes it as a constructor parameter.
/// </summary>
/// <remarks>
/// <para><b>Acknowledge only after it returns.</b> When <see cref="AcceptAsync"/> returns, the message is durably
/// stored (as a ticket, a comment, a triage or quarantine entry, or it was already imported): only then flag, move
/// or expunge it at the source, answer SMTP 250, or exit 0. When it throws, nothing is acknowledged; keep the message
/// at the source and offer it again later.</para>
/// <para><b>Idempotent.</b> Offering the same message again (same Message-ID, or the same content when it has
/// none) returns <see cref="InboundMailDisposition.Duplicate"/> with the first outcome's ticket, so re-offering after
/// a crash is always safe.</para>
/// <para><b>Concurrent calls.</b> An adapter may have several messages in flight at once (the host's sink stores
/// them concurrently and shares commits between them). Start the calls in the order the messages arrived: a reply
/// handed over while its parent is still being stored on the same node waits for the parent, so it threads onto the
/// parent's ticket. Acknowledge each message only after its own call returned.</para>
/// </remarks>
[HostService]
public interface IInboundMailSink
{
    /// <summary>The largest message, in bytes, that is imported whole. Larger ones are quarantined as oversized; an adapter may hand over only their headers (setting <see cref="InboundMail.OriginalSize"/>) and should tell senders the limit where its protocol can (SMTP SIZE).</summary>
    long MaxMessageBytes { get; }

    /// <summary>Imports one message, durably, before returning.</summary>
    /// <param name="mail">The raw message and where it came from.</param>
    /// <param name="cancellationToken">Cancels the import; the message then counts as not accepted.</param>
    /// <returns>What became of the message.</returns>
    Task<InboundMailResult> AcceptAsync(InboundMail mail, CancellationToken cancellationToken);

    /// <summary>
    /// Reports what a source currently holds, for the reconciliation view that counts mailbox against imported
    /// (for IMAP: the messages in the folder that are not yet acknowledged). Call it after each pass over the source.
    /// </summary>
    /// <param name="status">The source's state.</param>
    /// <param name="cancellationToken">Cancels the report.</param>
    /// <returns>A task that completes when the report is recorded.</returns>
    Task ReportSourceStatusAsync(InboundSourceStatus status, CancellationToken cancellationToken);
}

/// <summary>One received message.</summary>
/// <param name="SourceId">Which configured source it came from, stable across restarts (<c>imap:support</c>, <c>smtp</c>, <c>pipe</c>).</param>
/// <param name="SourceKey">Its identity at the source when it has one (<c>INBOX/1700000000/42</c> for an IMAP UIDVALIDITY/UID), or <see langword="null"/>.</param>
/// <param name="Content">The raw RFC 5322 message, as received (CRLF or LF line ends).</param>
/// <param name="ReceivedAt">When the source received it (the IMAP INTERNALDATE, the time of SMTP DATA); SLA clocks start here.</param>
public sealed record InboundMail(string SourceId, string? SourceKey, ReadOnlyMemory<byte> Content, DateTimeOffset ReceivedAt)
{
    /// <summary>The SMTP envelope sender (MAIL FROM), when the adapter knows it; empty string for the null sender <c>&lt;&gt;</c>.</summary>
    public string? EnvelopeFrom { get; init; }

    /// <summary>The SMTP envelope recipients (RCPT TO), when the adapter knows them.</summary>
    public IReadOnlyList<string> EnvelopeRecipients { get; init; } = [];

    /// <summary>The full size when <see cref="Content"/> holds only the headers of a message larger than <see cref="IInboundMailSink.MaxMessageBytes"/>; otherwise <see langword="null"/>.</summary>
    public long? OriginalSize { get; init; }
}

/// <summary>What became of an accepted message.</summary>
public enum InboundMailDisposition
{
    /// <summary>It opened a new ticket.</summary>
    TicketCreated,

    /// <summary>It was added to an existing ticket as a comment.</summary>
    CommentAdded,

    /// <summary>Its sender matched no client account: it waits in the triage queue.</summary>
    Triaged,

    /// <summary>It was unparseable, oversized, looping or suspicious: it waits in quarantine for an agent.</summary>
    Quarantined,

    /// <summary>It was recorded but needs no ticket (a bounce, which marks the address instead); the reason says why.</summary>
    Ignored,

    /// <summary>It had been imported before; the result carries the first import's ticket.</summary>
    Duplicate,
}

/// <summary>The outcome of <see cref="IInboundMailSink.AcceptAsync"/>.</summary>
/// <param name="Disposition">What became of the message.</param>
/// <param name="TicketId">The ticket it created or joined, when there is one.</param>
/// <param name="Reason">Why, in words for logs and administrators (the quarantine reason, "bounce for ...").</param>
public sealed record InboundMailResult(InboundMailDisposition Disposition, string? TicketId, string? Reason);

/// <summary>A source's state, for reconciliation.</summary>
/// <param name="SourceId">The source, as in <see cref="InboundMail.SourceId"/>.</param>
/// <param name="Description">Where it reads from, without secrets (<c>imap://mail.example:993/INBOX as support@</c>).</param>
/// <param name="MessagesAtSource">Messages at the source not yet acknowledged, or <see langword="null"/> when the source cannot count.</param>
/// <param name="CheckedAt">When the source was last read.</param>
/// <param name="Error">The last error reading it, or <see langword="null"/> when the last pass succeeded.</param>
public sealed record InboundSourceStatus(string SourceId, string Description, long? MessagesAtSource, DateTimeOffset CheckedAt, string? Error);
