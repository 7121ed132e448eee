using System.Data.Common;

namespace SupportPlatform.Notifications.Contracts;

/// <summary>What a staff notification is about. JSON and preferences use kebab-case (<c>sla-warning</c>).</summary>
public enum NotificationEventType
{
    /// <summary>A ticket was opened.</summary>
    NewTicket = 0,

    /// <summary>A ticket was assigned to the recipient.</summary>
    Assignment = 1,

    /// <summary>The recipient was mentioned (<c>@user-id</c>) in a comment.</summary>
    Mention = 2,

    /// <summary>An SLA clock reached its warning share.</summary>
    SlaWarning = 3,

    /// <summary>An SLA clock ran out.</summary>
    SlaBreach = 4,

    /// <summary>An escalation policy step names the recipient.</summary>
    Escalation = 5,

    /// <summary>An account reached a share of its hour allowance.</summary>
    HourThreshold = 6,

    /// <summary>A plugin failed and was disabled.</summary>
    PluginFailed = 7,

    /// <summary>A client added a public comment (in the portal or by mail): the assigned agent and subscribers.</summary>
    ClientReply = 8,

    /// <summary>Mail from an unknown sender waits in triage for staff to choose its account.</summary>
    MailTriage = 9,

    /// <summary>Mail the platform sent to a client bounced (the address is marked).</summary>
    MailBounce = 10,
}

/// <summary>How a notification reaches someone.</summary>
public enum NotificationChannel
{
    /// <summary>In the console: the live queue and the user's notification list.</summary>
    InApp = 0,

    /// <summary>Mail through the platform's outbox.</summary>
    Email = 1,

    /// <summary>A text message through a telephony plugin.</summary>
    Sms = 2,

    /// <summary>A voice call through a telephony plugin.</summary>
    Voice = 3,

    /// <summary>A chat tool's incoming webhook through a chat plugin.</summary>
    Chat = 4,
}

/// <summary>
/// One event to tell staff about. <see cref="EventKey"/> identifies the event across retries and restarts
/// (<c>tickets/42/event/7</c>, <c>allowance/acme/2026-12/80</c>): a second notification with the same key is ignored,
/// so a producer may call again after a crash without anyone being told twice.
/// </summary>
/// <param name="EventKey">The producer's idempotency key (at most 400 characters).</param>
/// <param name="Type">What happened.</param>
/// <param name="Subject">One line, shown as the title.</param>
/// <param name="Text">The message, plain text.</param>
public sealed record StaffNotification(string EventKey, NotificationEventType Type, string Subject, string Text)
{
    /// <summary>Staff user ids to tell. Subscribers of <see cref="Type"/> (users whose preferences name it) are told as well when <see cref="IncludeSubscribers"/>.</summary>
    public IReadOnlyList<string> Recipients { get; init; } = [];

    /// <summary>Also tell every user whose preferences subscribe to <see cref="Type"/>.</summary>
    public bool IncludeSubscribers { get; init; }

    /// <summary>
    /// Shared mailboxes (email addresses, e.g. the team address of the email module) told by email as well. They are
    /// not users: no preferences, no quiet hours; the delivery log lists them as <c>mailbox:&lt;address&gt;</c>.
    /// </summary>
    public IReadOnlyList<string> Mailboxes { get; init; } = [];

    /// <summary>The ticket it concerns, if any (the link and the delivery log point at it).</summary>
    public long? TicketId { get; init; }

    /// <summary>A link to open (defaults to the ticket's console page).</summary>
    public string? Link { get; init; }

    /// <summary>Must wake someone: quiet hours do not hold it back.</summary>
    public bool Urgent { get; init; }

    /// <summary>Channels to use instead of the recipients' preferences (an escalation step may say "sms then voice").</summary>
    public IReadOnlyList<NotificationChannel>? Channels { get; init; }
}

/// <summary>What <see cref="INotifier.NotifyAsync(StaffNotification, CancellationToken)"/> did.</summary>
/// <param name="NotificationId">The stored notification's id (the first one's, for a duplicate).</param>
/// <param name="Duplicate">An event with this key was notified before; nothing was sent.</param>
/// <param name="Deliveries">Deliveries queued (one per recipient and first channel).</param>
public sealed record NotifyResult(string NotificationId, bool Duplicate, int Deliveries);

/// <summary>
/// The one path by which the platform tells staff something. Stores the notification and one delivery per recipient
/// (on their first preferred channel) durably; a background dispatcher delivers them, retries with a back-off, then
/// falls through to the recipient's next channel, and logs every attempt (<c>GET /api/notifications/deliveries</c>).
/// </summary>
public interface INotifier
{
    /// <summary>Stores <paramref name="notification"/> and its deliveries in a transaction of their own.</summary>
    Task<NotifyResult> NotifyAsync(StaffNotification notification, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="notification"/> in the caller's <paramref name="transaction"/>, so that it exists exactly
    /// when the caller's change does. Call <see cref="Wake"/> after the commit for prompt delivery.
    /// </summary>
    Task<NotifyResult> NotifyAsync(StaffNotification notification, DbTransaction transaction, CancellationToken cancellationToken = default);

    /// <summary>Tells the dispatcher that deliveries are waiting (optional; it also polls).</summary>
    void Wake();
}
