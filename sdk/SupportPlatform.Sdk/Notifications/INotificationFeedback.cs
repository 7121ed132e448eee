namespace SupportPlatform.Sdk.Notifications;

/// <summary>
/// What a notification-channel plugin tells the host after a delivery left: the provider's later status of a message
/// or call (delivered, failed, no answer), and acknowledgements that come back on the channel (an SMS reply, a key
/// pressed during a voice call). Implemented by the host's notifications module; a plugin takes it as a constructor
/// parameter.
/// </summary>
/// <remarks>
/// Every method is safe to call again with the same arguments (providers repeat callbacks): a repeated status or an
/// acknowledgement of an escalation that is no longer running changes nothing.
/// </remarks>
[HostService]
public interface INotificationFeedback
{
    /// <summary>
    /// Records the provider's status of delivery <paramref name="deliveryId"/> (the <see cref="NotificationMessage.Id"/>
    /// it was sent with) in the delivery log. A final failure (<c>failed</c>, <c>undelivered</c>, <c>busy</c>,
    /// <c>no-answer</c>, <c>canceled</c>) of a delivery the log holds as sent marks it failed and puts the recipient's
    /// next channel in line.
    /// </summary>
    /// <param name="deliveryId">The delivery's id.</param>
    /// <param name="status">The provider's status word, lower case (<c>delivered</c>, <c>undelivered</c>, <c>completed</c>...).</param>
    /// <param name="error">The provider's error code or text, when it gives one.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>False when no delivery has that id (nothing changed).</returns>
    Task<bool> ReportStatusAsync(string deliveryId, string status, string? error, CancellationToken cancellationToken);

    /// <summary>
    /// Handles a text message a staff member sent back from <paramref name="fromNumber"/>: <c>ACK</c>, <c>1</c>,
    /// <c>YES</c> or <c>OK</c> acknowledges their one open escalation; a ticket number (<c>ACK 42</c>, <c>42</c>) picks
    /// one when several are open.
    /// </summary>
    /// <param name="fromNumber">The sender's number, E.164.</param>
    /// <param name="text">The message body.</param>
    /// <param name="cancellationToken">Cancels the handling.</param>
    /// <returns>Whether an escalation was acknowledged, and the text to send back to the sender.</returns>
    Task<NotificationReply> HandleReplyAsync(string fromNumber, string text, CancellationToken cancellationToken);

    /// <summary>
    /// Acknowledges the escalation that delivery <paramref name="deliveryId"/> notified about, on behalf of its
    /// recipient (a key pressed during the voice call the delivery placed).
    /// </summary>
    /// <param name="deliveryId">The delivery's id.</param>
    /// <param name="via">How (<c>voice</c>), for the ticket's history.</param>
    /// <param name="cancellationToken">Cancels the handling.</param>
    /// <returns>Whether it was acknowledged, and a sentence to say or send back.</returns>
    Task<NotificationReply> AcknowledgeDeliveryAsync(string deliveryId, string via, CancellationToken cancellationToken);
}

/// <summary>The host's answer to a reply or acknowledgement received on a channel.</summary>
public sealed class NotificationReply
{
    /// <summary>Creates an answer.</summary>
    /// <param name="acknowledged">Whether an escalation was acknowledged.</param>
    /// <param name="text">What to tell the sender.</param>
    public NotificationReply(bool acknowledged, string text)
    {
        Acknowledged = acknowledged;
        Text = text;
    }

    /// <summary>Whether an escalation was acknowledged.</summary>
    public bool Acknowledged { get; }

    /// <summary>What to tell the sender (one or two sentences, fit for an SMS).</summary>
    public string Text { get; }
}
