using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;
using SupportPlatform.Notifications.Escalation;
using SupportPlatform.Sdk.Notifications;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Notifications.Delivery;

/// <summary>
/// <see cref="INotificationFeedback"/>: provider status callbacks into the delivery log, and acknowledgements that come
/// back on a channel (an SMS reply, a digit pressed in a notification call) into the escalation they answer.
/// </summary>
/// <remarks>
/// A reply is matched to a staff user by the phone number in their notification preferences (the number SMS and calls
/// go to), then to the open escalations (active or exhausted) whose steps notified that user. The ticket number is the
/// short code: escalation messages say "reply ACK" (one open) and the ticket number picks one when several are open.
/// </remarks>
internal sealed partial class NotificationFeedback(IDatabase database, TimeProvider clock, NotificationSignal signal, EscalationService escalations, ILogger<NotificationFeedback> logger)
    : INotificationFeedback
{
    private static readonly HashSet<string> FinalFailures = new(StringComparer.Ordinal) { "failed", "undelivered", "busy", "no-answer", "canceled" };
    private static readonly HashSet<string> AckWords = new(StringComparer.Ordinal) { "ACK", "ACKNOWLEDGE", "ACKNOWLEDGED", "1", "YES", "Y", "OK" };

    public async Task<bool> ReportStatusAsync(string deliveryId, string status, string? error, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deliveryId);
        ArgumentException.ThrowIfNullOrWhiteSpace(status);
        status = status.Trim().ToLowerInvariant();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string NotificationId, string UserId, string Channel, string Status)?>(new CommandDefinition(
            "SELECT notification_id, user_id, channel, status FROM sp_notification_deliveries WHERE id = @deliveryId",
            new { deliveryId }, transaction, cancellationToken: cancellationToken));
        if (row is not { } delivery)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_notification_deliveries SET provider_status = @status, provider_status_at_ms = @now, updated_at_ms = @now WHERE id = @deliveryId",
            new { deliveryId, status, now }, transaction, cancellationToken: cancellationToken));
        var promoted = false;
        if (FinalFailures.Contains(status) && delivery.Status == "sent")
        {
            var why = $"{delivery.Channel} {status} after the provider accepted it{(string.IsNullOrWhiteSpace(error) ? "" : $" ({error})")}";
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_notification_deliveries SET status = 'failed', last_error = @why, updated_at_ms = @now WHERE id = @deliveryId AND status = 'sent'",
                new { deliveryId, why, now }, transaction, cancellationToken: cancellationToken));

            // The same fall-through as a failed send: the recipient's next channel is put in line.
            var next = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT id FROM sp_notification_deliveries WHERE notification_id = @n AND user_id = @u AND status IN ('standby', 'not-needed') AND channel <> 'in-app' AND channel_index > (SELECT channel_index FROM sp_notification_deliveries WHERE id = @deliveryId) ORDER BY channel_index LIMIT 1",
                new { n = delivery.NotificationId, u = delivery.UserId, deliveryId }, transaction, cancellationToken: cancellationToken));
            if (next is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE sp_notification_deliveries SET status = 'pending', next_attempt_at_ms = @now, updated_at_ms = @now, last_error = @why WHERE id = @next",
                    new { next, now, why = $"after {why}" }, transaction, cancellationToken: cancellationToken));
                promoted = true;
            }

            LogLateFailure(logger, deliveryId, delivery.Channel, status, next is null ? "no further channel" : "falling through to the next channel");
        }

        await transaction.CommitAsync(cancellationToken);
        if (promoted)
        {
            signal.Wake();
        }

        return true;
    }

    public async Task<NotificationReply> HandleReplyAsync(string fromNumber, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fromNumber);
        ArgumentNullException.ThrowIfNull(text);
        List<string> users;
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            users = [.. await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT user_id FROM sp_notification_profiles WHERE phone = @fromNumber ORDER BY user_id", new { fromNumber = fromNumber.Trim() }, cancellationToken: cancellationToken))];
        }

        if (users.Count == 0)
        {
            return new NotificationReply(false, $"{fromNumber} is not the notification number of any staff user: nothing was acknowledged. Set it in your notification preferences.");
        }

        if (users.Count > 1)
        {
            return new NotificationReply(false, $"{fromNumber} is the notification number of {users.Count} staff users ({string.Join(", ", users)}): nothing was acknowledged. Acknowledge in the console or with the link.");
        }

        var user = users[0];
        var open = await OpenForAsync(user, cancellationToken);
        var words = text.Trim().ToUpperInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('#', '.', '!', ',')).Where(w => w.Length > 0).ToList();
        var numbers = words.Select(w => long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : (long?)null).Where(n => n is not null).Select(n => n!.Value).ToList();
        var keyword = words.Any(AckWords.Contains);
        var unknown = words.Where(w => !AckWords.Contains(w) && !long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out _)).ToList();

        var picked = open.Where(e => numbers.Contains(e.TicketId)).ToList();
        if (picked.Count == 1)
        {
            return await AckAsync(picked[0], user, "sms", cancellationToken);
        }

        // "1" is the acknowledgement key, not a ticket number (unless ticket #1 is open for the user: picked above).
        var codes = numbers.Where(n => n != 1).ToList();
        if (codes.Count > 0)
        {
            if (await AcknowledgedByAsync(codes[0], cancellationToken) is { } by)
            {
                return new NotificationReply(false, $"Ticket #{codes[0]} was already acknowledged by {by}.");
            }

            return new NotificationReply(false, open.Count == 0
                ? $"No escalation is waiting for you (ticket #{codes[0]} has none open for you): nothing was acknowledged."
                : $"Ticket #{codes[0]} has no open escalation for you: nothing was acknowledged. Open: {List(open)}. Reply ACK and the ticket number.");
        }

        if (!keyword || unknown.Count > 0)
        {
            return new NotificationReply(false, $"Not understood: \"{Shorten(text)}\". Reply ACK (or 1) to acknowledge{(open.Count > 1 ? ", with the ticket number: " + List(open) : "")}.");
        }

        return open.Count switch
        {
            0 => new NotificationReply(false, "No escalation is waiting for your acknowledgement: nothing was acknowledged."),
            1 => await AckAsync(open[0], user, "sms", cancellationToken),
            _ => new NotificationReply(false, $"{open.Count} escalations are waiting for you: {List(open)}. Reply ACK and the ticket number, e.g. ACK {open[0].TicketId}."),
        };
    }

    public async Task<NotificationReply> AcknowledgeDeliveryAsync(string deliveryId, string via, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deliveryId);
        (string UserId, string EventKey)? row;
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            row = await connection.QuerySingleOrDefaultAsync<(string, string)?>(new CommandDefinition(
                "SELECT d.user_id, n.event_key FROM sp_notification_deliveries d JOIN sp_notifications n ON n.id = d.notification_id WHERE d.id = @deliveryId",
                new { deliveryId }, cancellationToken: cancellationToken));
        }

        if (row is not { } found || EscalationService.EscalationOfEventKey(found.EventKey) is not { } escalationId)
        {
            return new NotificationReply(false, "This notification has nothing to acknowledge.");
        }

        var escalation = await escalations.GetAsync(escalationId, cancellationToken);
        return escalation is null
            ? new NotificationReply(false, "This notification has nothing to acknowledge.")
            : await AckAsync(new OpenEscalation(escalation.Id, escalation.TicketId), found.UserId, via, cancellationToken);
    }

    private async Task<NotificationReply> AckAsync(OpenEscalation escalation, string user, string via, CancellationToken cancellationToken)
    {
        if (await escalations.AcknowledgeAsync(escalation.Id, user, via, cancellationToken))
        {
            return new NotificationReply(true, $"Acknowledged: the escalation of ticket #{escalation.TicketId} stops here.");
        }

        var current = await escalations.GetAsync(escalation.Id, cancellationToken);
        return new NotificationReply(false, current?.Status == "acknowledged"
            ? $"Ticket #{escalation.TicketId} was already acknowledged by {current.AckBy}."
            : $"The escalation of ticket #{escalation.TicketId} is no longer running ({current?.Status ?? "unknown"}).");
    }

    private async Task<List<OpenEscalation>> OpenForAsync(string user, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, long TicketId, string Targets)>(new CommandDefinition(
            """
            SELECT e.id, e.ticket_id, s.targets FROM sp_escalations e JOIN sp_escalation_steps s ON s.escalation_id = e.id
            WHERE e.status IN ('active', 'exhausted')
            ORDER BY e.started_at_ms, e.ticket_id, s.step
            """,
            cancellationToken: cancellationToken));
        return [.. rows.Where(r => r.Targets.Split(',').Contains(user, StringComparer.Ordinal))
            .Select(r => (r.Id, r.TicketId)).Distinct().Select(r => new OpenEscalation(r.Id, r.TicketId))];
    }

    /// <summary>Who acknowledged the ticket's latest escalation, when it was acknowledged.</summary>
    private async Task<string?> AcknowledgedByAsync(long ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT ack_by FROM sp_escalations WHERE ticket_id = @ticketId AND status = 'acknowledged' ORDER BY ack_at_ms DESC LIMIT 1",
            new { ticketId }, cancellationToken: cancellationToken));
    }

    private static string List(List<OpenEscalation> open) => string.Join(", ", open.Select(e => "#" + e.TicketId.ToString(CultureInfo.InvariantCulture)));

    private static string Shorten(string text) => text.Length <= 40 ? text.Trim() : text[..40].Trim() + "…";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {Delivery} on {Channel} ended {Status} at the provider; {Next}")]
    private static partial void LogLateFailure(ILogger logger, string delivery, string channel, string status, string next);

    private sealed class OpenEscalation
    {
        public OpenEscalation()
        {
        }

        public OpenEscalation(string id, long ticketId)
        {
            Id = id;
            TicketId = ticketId;
        }

        public string Id { get; set; } = "";

        public long TicketId { get; set; }
    }
}
