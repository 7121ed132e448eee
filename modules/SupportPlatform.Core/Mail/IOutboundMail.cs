namespace SupportPlatform.Core.Mail;

/// <summary>
/// One message the platform sends (a sign-in link, a ticket notification, a report). <see cref="Purpose"/> says why
/// ("sign-in-link", "ticket-reply"...) for logs and the admin view; <see cref="Headers"/> carries extra headers such as
/// In-Reply-To. Bodies are already rendered.
/// </summary>
public sealed record OutboundMail(
    string To,
    string Subject,
    string TextBody,
    string? HtmlBody,
    string Purpose,
    IReadOnlyDictionary<string, string>? Headers = null);

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
