namespace SupportPlatform.Core.Mail;

/// <summary>
/// One message the platform sends (a sign-in link, a ticket notification, a report). <see cref="Purpose"/> says why
/// ("sign-in-link", "ticket-reply"...) for logs and the admin view; <see cref="Headers"/> carries extra headers such as
/// In-Reply-To. Bodies are already rendered. <see cref="InlineImages"/> are sent with the HTML body as
/// multipart/related parts that the HTML names as <c>cid:{ContentId}</c> (report charts).
/// </summary>
public sealed record OutboundMail(
    string To,
    string Subject,
    string TextBody,
    string? HtmlBody,
    string Purpose,
    IReadOnlyDictionary<string, string>? Headers = null,
    IReadOnlyList<MailInlineImage>? InlineImages = null);

/// <summary>An image shown inside the HTML body of a message, referenced there as <c>cid:{ContentId}</c>.</summary>
/// <param name="ContentId">The Content-ID without angle brackets, e.g. <c>chart-volume@supportplatform</c>.</param>
/// <param name="MediaType">The media type, e.g. <c>image/png</c>.</param>
/// <param name="Content">The image's bytes.</param>
public sealed record MailInlineImage(string ContentId, string MediaType, byte[] Content);

/// <summary>
/// The durable outbox of outgoing mail: once <see cref="EnqueueAsync(OutboundMail, CancellationToken)"/> returns, the
/// message is stored and will be delivered (with retries) by the email module, also after a restart. The overload with
/// a transaction stores it in the caller's transaction, so it exists exactly when the caller's change does.
/// Returns the message's id.
/// </summary>
public interface IOutboundMail
{
    /// <summary>Stores <paramref name="mail"/> for delivery in its own transaction.</summary>
    Task<string> EnqueueAsync(OutboundMail mail, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="mail"/> for delivery in <paramref name="transaction"/>.</summary>
    Task<string> EnqueueAsync(OutboundMail mail, System.Data.Common.DbTransaction transaction, CancellationToken cancellationToken);
}

/// <summary>
/// The Message-IDs that tie mail to a ticket: every message about ticket N names <see cref="TicketThread"/> in its
/// References header, so a reply by mail (which quotes it) finds the ticket again.
/// </summary>
public static class MailThreads
{
    /// <summary>The root of ticket <paramref name="ticketId"/>'s mail thread, with angle brackets.</summary>
    public static string TicketThread(long ticketId) => $"<ticket-{ticketId}@supportplatform>";
}
