namespace SupportPlatform.Sdk.Notifications;

/// <summary>
/// A way to reach staff that a plugin provides (chat webhooks, SMS, voice calls). The host's notification service
/// calls it for every delivery on <see cref="Channel"/>; it retries failed deliveries with a back-off and, after the
/// last attempt, falls through to the recipient's next channel.
/// </summary>
/// <remarks>
/// Register the implementation in <see cref="IPlugin.ConfigureServices"/> and list
/// <see cref="PluginCapabilities.NotificationChannel"/> in the manifest. <see cref="SendAsync"/> should return
/// <see cref="NotificationSendResult.Delivered"/> only once the provider accepted the message; an exception counts as a
/// failed attempt (and marks the plugin failed), so report an ordinary provider refusal as a result instead.
/// </remarks>
public interface INotificationChannel
{
    /// <summary>The channel this plugin serves: one of <see cref="NotificationChannels"/> (<c>chat</c>, <c>sms</c>, <c>voice</c>).</summary>
    string Channel { get; }

    /// <summary>Delivers one message.</summary>
    /// <param name="message">What to send, and to whom.</param>
    /// <param name="cancellationToken">Cancels the attempt; it then counts as failed.</param>
    /// <returns>Whether the provider accepted it, and why not.</returns>
    Task<NotificationSendResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken);
}

/// <summary>Channel names a plugin can serve.</summary>
public static class NotificationChannels
{
    /// <summary>Chat tools (Slack-style or Teams-style incoming webhooks).</summary>
    public const string Chat = "chat";

    /// <summary>A text message to the recipient's phone number.</summary>
    public const string Sms = "sms";

    /// <summary>A voice call that reads the message to the recipient's phone number.</summary>
    public const string Voice = "voice";
}

/// <summary>One notification to deliver.</summary>
/// <param name="Id">The delivery's id, the same on every retry of it (use it as an idempotency key with the provider).</param>
/// <param name="EventType">What happened, kebab-case (<c>new-ticket</c>, <c>sla-breach</c>, <c>escalation</c>...).</param>
/// <param name="RecipientId">The staff user it is for.</param>
/// <param name="RecipientName">Their display name.</param>
/// <param name="Address">
/// Where to send it on this channel: a phone number (E.164) for SMS and voice; for chat the name of a configured
/// target, or <see langword="null"/> for the plugin's default target.
/// </param>
/// <param name="Subject">One line.</param>
/// <param name="Text">The message, plain text.</param>
/// <param name="Link">A link into the console (the ticket, or an acknowledgement link), or <see langword="null"/>.</param>
/// <param name="Urgent">True for what must wake someone (critical tickets, escalations, SLA breaches).</param>
public sealed record NotificationMessage(
    string Id,
    string EventType,
    string RecipientId,
    string RecipientName,
    string? Address,
    string Subject,
    string Text,
    string? Link,
    bool Urgent);

/// <summary>What became of a delivery attempt.</summary>
/// <param name="Delivered">The provider accepted the message.</param>
/// <param name="Error">Why not, in words for the delivery log (the provider's status and message).</param>
/// <param name="ProviderId">The provider's id of the message, when it gives one.</param>
public sealed record NotificationSendResult(bool Delivered, string? Error = null, string? ProviderId = null)
{
    /// <summary>A delivered message.</summary>
    public static NotificationSendResult Ok(string? providerId = null) => new(true, null, providerId);

    /// <summary>A refused or failed message.</summary>
    public static NotificationSendResult Failed(string error) => new(false, error);
}
