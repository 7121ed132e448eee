using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SupportPlatform.Core.Mail;
using SupportPlatform.Core.People;
using SupportPlatform.Core.Plugins;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Sdk.Notifications;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Notifications.Delivery;

/// <summary>
/// Delivers pending rows of <c>sp_notification_deliveries</c>. Each pass leases the due rows (so that another node
/// leaves them alone until the lease runs out), sends each on its channel and records the outcome: sent; due again after
/// a doubling back-off; or, after the last attempt or when the channel cannot work at all (no address, no plugin),
/// failed, which puts the recipient's next channel in line. Nothing is dropped: every row ends sent, failed, suppressed
/// or not-needed, and all of them are in the delivery log.
/// </summary>
internal sealed class NotificationDispatcher(
    IDatabase database,
    TimeProvider clock,
    NotificationSignal signal,
    NotificationOptions options,
    PreferenceStore preferences,
    IEnumerable<IOutboundMail> mail,
    IEnumerable<ILiveQueuePublisher> live,
    IEnumerable<IUserDirectory> users,
    IEnumerable<IContactDirectory> contacts,
    IEnumerable<INotificationChannel> hostChannels,
    IEnumerable<IPluginCapabilities> plugins,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    private const int PerPass = 50;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var handled = 0;
            try
            {
                handled = await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Notification delivery pass failed; retrying at the next pass");
            }

            if (handled < PerPass)
            {
                try
                {
                    await signal.WaitAsync(options.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    internal async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        List<DueRow> due;
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            due = [.. await connection.QueryAsync<DueRow>(new CommandDefinition(
                """
                UPDATE sp_notification_deliveries SET lease_until_ms = @lease
                WHERE id IN (SELECT id FROM sp_notification_deliveries
                             WHERE status = 'pending' AND next_attempt_at_ms <= @now AND (lease_until_ms IS NULL OR lease_until_ms < @now)
                             ORDER BY next_attempt_at_ms LIMIT @limit)
                  AND (lease_until_ms IS NULL OR lease_until_ms < @now)
                RETURNING id AS Id, notification_id AS NotificationId, user_id AS UserId, channel AS Channel, channel_index AS ChannelIndex, attempts AS Attempts
                """,
                new { now, lease = now + (long)Lease.TotalMilliseconds, limit = PerPass },
                cancellationToken: cancellationToken))];
        }

        foreach (var row in due)
        {
            await DeliverAsync(row, cancellationToken);
        }

        return due.Count;
    }

    private async Task DeliverAsync(DueRow row, CancellationToken cancellationToken)
    {
        Outcome outcome;
        try
        {
            outcome = await SendAsync(row, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Notification delivery {Delivery} on {Channel} failed", row.Id, row.Channel);
            outcome = Outcome.Retry(ex.Message);
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var attempts = row.Attempts + 1;
        if (outcome.Sent)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_notification_deliveries SET status = 'sent', attempts = @attempts, sent_at_ms = @now, updated_at_ms = @now, provider_id = @provider, lease_until_ms = NULL WHERE id = @id",
                new { id = row.Id, attempts, now, provider = outcome.ProviderId }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_notification_deliveries SET status = 'not-needed', updated_at_ms = @now WHERE notification_id = @n AND user_id = @u AND status = 'standby'",
                new { n = row.NotificationId, u = row.UserId, now }, transaction, cancellationToken: cancellationToken));
        }
        else if (!outcome.Permanent && attempts < options.MaxAttempts)
        {
            var delay = options.RetryDelay * Math.Pow(2, attempts - 1);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_notification_deliveries SET attempts = @attempts, next_attempt_at_ms = @next, last_error = @error, updated_at_ms = @now, lease_until_ms = NULL WHERE id = @id",
                new { id = row.Id, attempts, next = now + (long)delay.TotalMilliseconds, error = outcome.Error, now }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sp_notification_deliveries SET status = 'failed', attempts = @attempts, last_error = @error, updated_at_ms = @now, lease_until_ms = NULL WHERE id = @id",
                new { id = row.Id, attempts, error = outcome.Error, now }, transaction, cancellationToken: cancellationToken));
            var next = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT id FROM sp_notification_deliveries WHERE notification_id = @n AND user_id = @u AND status = 'standby' ORDER BY channel_index LIMIT 1",
                new { n = row.NotificationId, u = row.UserId }, transaction, cancellationToken: cancellationToken));
            if (next is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE sp_notification_deliveries SET status = 'pending', next_attempt_at_ms = @now, updated_at_ms = @now, last_error = @why WHERE id = @next",
                    new { next, now, why = $"after {row.Channel} failed: {outcome.Error}" }, transaction, cancellationToken: cancellationToken));
            }

            logger.LogWarning("Notification {Notification} to {User} failed on {Channel}: {Error}{Next}", row.NotificationId, row.UserId, row.Channel, outcome.Error,
                next is null ? " (no further channel)" : " (falling through to the next channel)");
        }

        await transaction.CommitAsync(cancellationToken);
        if (!outcome.Sent)
        {
            signal.Wake();
        }
    }

    private async Task<Outcome> SendAsync(DueRow row, CancellationToken cancellationToken)
    {
        NotificationRow notification;
        NotificationProfile? profile;
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            notification = await connection.QuerySingleAsync<NotificationRow>(new CommandDefinition(
                "SELECT event_key AS EventKey, event_type AS EventType, ticket_id AS TicketId, subject AS Subject, body AS Body, link AS Link, urgent AS Urgent FROM sp_notifications WHERE id = @id",
                new { id = row.NotificationId }, cancellationToken: cancellationToken));
            profile = await preferences.ProfileAsync(connection, null, row.UserId, cancellationToken);
        }

        var mailbox = row.UserId.StartsWith(Notifier.MailboxPrefix, StringComparison.Ordinal);
        var user = !mailbox && users.FirstOrDefault() is { } directory ? await directory.FindAsync(row.UserId, cancellationToken) : null;
        if (user is { Active: false })
        {
            return Outcome.Fail($"user '{row.UserId}' is deactivated");
        }

        var link = notification.Link ?? (notification.TicketId is { } ticket && options.PublicUrl is { Length: > 0 } url ? $"{url.TrimEnd('/')}/console/tickets/{ticket}" : null);
        if (!NotificationJson.TryParseKebab<NotificationChannel>(row.Channel, out var channel))
        {
            return Outcome.Fail($"unknown channel '{row.Channel}'");
        }

        switch (channel)
        {
            case NotificationChannel.InApp:
                if (live.FirstOrDefault() is { } publisher)
                {
                    publisher.Publish(LiveKind(notification.EventType), null, $"@{row.UserId}: {notification.Subject}");
                }

                // The in-app list (GET /api/notifications/mine) reads the delivery log itself: stored means delivered.
                return Outcome.Ok(null);

            case NotificationChannel.Email:
            {
                if (mail.FirstOrDefault() is not { } outbox)
                {
                    return Outcome.Fail("no mail outbox is installed");
                }

                var address = mailbox ? row.UserId[Notifier.MailboxPrefix.Length..]
                    : user?.Email ?? (await contacts.FindContactAsync(row.UserId, cancellationToken))?.Email;
                if (address is null)
                {
                    return Outcome.Fail($"no email address is known for '{row.UserId}'");
                }

                // The ticket header lets a shared mailbox's rules sort notices by ticket.
                var headers = new Dictionary<string, string> { ["Auto-Submitted"] = "auto-generated" };
                if (notification.TicketId is { } about)
                {
                    headers["X-SupportPlatform-Ticket"] = about.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                var text = notification.Body + AckHint(NotificationChannel.Email, notification) + (link is null ? "" : $"\n\n{link}\n");
                var id = await outbox.EnqueueAsync(
                    new OutboundMail(address, notification.Subject, text, null, "notification-" + notification.EventType, headers),
                    cancellationToken);
                return Outcome.Ok(id);
            }

            default:
            {
                var name = channel switch
                {
                    NotificationChannel.Sms => NotificationChannels.Sms,
                    NotificationChannel.Voice => NotificationChannels.Voice,
                    _ => NotificationChannels.Chat,
                };
                string? address = channel == NotificationChannel.Chat ? profile?.ChatTarget : profile?.Phone;
                if (channel != NotificationChannel.Chat && string.IsNullOrWhiteSpace(address))
                {
                    return Outcome.Fail($"'{row.UserId}' has no phone number in their notification preferences");
                }

                var message = new NotificationMessage(row.Id, notification.EventType, row.UserId, user?.Name ?? row.UserId, address, notification.Subject, notification.Body + AckHint(channel, notification), link, notification.Urgent != 0);
                if (hostChannels.FirstOrDefault(c => c.Channel == name) is { } local)
                {
                    var result = await local.SendAsync(message, cancellationToken);
                    return result.Delivered ? Outcome.Ok(result.ProviderId) : Outcome.Retry(result.Error ?? "not delivered");
                }

                if (plugins.FirstOrDefault() is { } capabilities && capabilities.Get<INotificationChannel>().FirstOrDefault(c => c.Instance.Channel == name) is { } plugin)
                {
                    var outcome = await capabilities.InvokeAsync(plugin, (c, ct) => c.SendAsync(message, ct), cancellationToken);
                    return !outcome.Succeeded ? Outcome.Retry($"plugin '{plugin.PluginId}' failed: {outcome.Error}")
                        : outcome.Value!.Delivered ? Outcome.Ok(outcome.Value.ProviderId)
                        : Outcome.Retry($"{plugin.PluginId}: {outcome.Value.Error ?? "not delivered"}");
                }

                return Outcome.Fail($"no plugin provides the '{name}' channel");
            }
        }
    }

    /// <summary>
    /// How to acknowledge an escalation policy's step (event key <c>escalations/...</c>; a ticket escalated to a group by
    /// hand has nothing to acknowledge), said the way the channel can: a reply code by SMS, the link by email or chat.
    /// A voice call says nothing here: the telephony plugin asks for a key press itself (Twilio: "Press 1 to
    /// acknowledge"), and a call that read "reply ACK" or "use the link" would tell the listener something they cannot do.
    /// </summary>
    private static string AckHint(NotificationChannel channel, NotificationRow notification) =>
        !notification.EventKey.StartsWith(Escalation.EscalationService.EventKeyPrefix, StringComparison.Ordinal) ? "" : channel switch
        {
            NotificationChannel.Sms when notification.TicketId is { } ticket => $" Reply ACK {ticket} to acknowledge.",
            NotificationChannel.Email or NotificationChannel.Chat => " Acknowledge it in the console or with the link to stop the escalation.",
            _ => "",
        };

    private static LiveChangeKind LiveKind(string eventType) => eventType switch
    {
        "new-ticket" => LiveChangeKind.Created,
        "assignment" => LiveChangeKind.Assigned,
        "sla-warning" => LiveChangeKind.SlaWarning,
        "sla-breach" => LiveChangeKind.SlaBreach,
        "escalation" => LiveChangeKind.Escalated,
        _ => LiveChangeKind.Updated,
    };

    private sealed class DueRow
    {
        public string Id { get; set; } = "";
        public string NotificationId { get; set; } = "";
        public string UserId { get; set; } = "";
        public string Channel { get; set; } = "";
        public int ChannelIndex { get; set; }
        public int Attempts { get; set; }
    }

    private sealed class NotificationRow
    {
        public string EventKey { get; set; } = "";

        public string EventType { get; set; } = "";
        public long? TicketId { get; set; }
        public string Subject { get; set; } = "";
        public string Body { get; set; } = "";
        public string? Link { get; set; }
        public int Urgent { get; set; }
    }

    private readonly record struct Outcome(bool Sent, bool Permanent, string? Error, string? ProviderId)
    {
        public static Outcome Ok(string? providerId) => new(true, false, null, providerId);

        public static Outcome Retry(string error) => new(false, false, error, null);

        public static Outcome Fail(string error) => new(false, true, error, null);
    }
}
