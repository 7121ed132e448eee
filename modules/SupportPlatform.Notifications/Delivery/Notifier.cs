using System.Data.Common;
using Dapper;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Notifications.Delivery;

/// <summary>
/// <see cref="INotifier"/>: stores the notification (once per event key) and one delivery row per recipient and
/// channel. In-app is delivered beside the others; the other channels form a fall-through chain: the first is
/// pending, the rest wait ("standby") until the one before fails for good. Quiet hours (in the user's zone, unless the
/// notification is urgent or the user is on call) hold back every channel but in-app ("suppressed").
/// </summary>
internal sealed class Notifier(IDatabase database, TimeProvider clock, NotificationSignal signal, PreferenceStore preferences, IOnCallDirectory onCall) : INotifier
{
    public const int MaxEventKeyLength = 400;

    public async Task<NotifyResult> NotifyAsync(StaffNotification notification, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = await NotifyAsync(notification, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Wake();
        return result;
    }

    public async Task<NotifyResult> NotifyAsync(StaffNotification notification, DbTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(transaction);
        Validate(notification);
        var connection = transaction.Connection!;
        var now = clock.GetUtcNow();
        var id = "n-" + Guid.NewGuid().ToString("N");
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_notifications (id, event_key, event_type, ticket_id, subject, body, link, urgent, created_at_ms)
            VALUES (@id, @key, @type, @ticket, @subject, @body, @link, @urgent, @now)
            ON CONFLICT (event_key) DO NOTHING
            """,
            new
            {
                id, key = notification.EventKey, type = NotificationJson.Kebab(notification.Type), ticket = notification.TicketId,
                subject = notification.Subject.ReplaceLineEndings(" "), body = notification.Text, link = notification.Link, urgent = notification.Urgent ? 1 : 0,
                now = now.ToUnixTimeMilliseconds(),
            },
            transaction,
            cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            var existing = await connection.QuerySingleAsync<string>(new CommandDefinition(
                "SELECT id FROM sp_notifications WHERE event_key = @key", new { key = notification.EventKey }, transaction, cancellationToken: cancellationToken));
            return new NotifyResult(existing, Duplicate: true, Deliveries: 0);
        }

        var deliveries = await DeliverAsync(notification, id, transaction, now, [], cancellationToken);
        return new NotifyResult(id, Duplicate: false, deliveries);
    }

    /// <summary>
    /// Stores several notifications in <paramref name="transaction"/> as <see cref="NotifyAsync(StaffNotification, DbTransaction, CancellationToken)"/>
    /// does each (a key notified before is skipped), with one statement for all of them and one subscriber lookup per
    /// event type instead of a round trip or two per notification: ticket intake tells of many new tickets per transaction.
    /// </summary>
    internal async Task NotifyManyAsync(IReadOnlyList<StaffNotification> notifications, DbTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        ArgumentNullException.ThrowIfNull(transaction);
        if (notifications.Count <= 1 || notifications.Select(n => n.EventKey).Distinct(StringComparer.Ordinal).Count() != notifications.Count)
        {
            // None or one, or a key twice (one statement could not tell which of the two was stored first).
            foreach (var notification in notifications)
            {
                await NotifyAsync(notification, transaction, cancellationToken);
            }

            return;
        }

        foreach (var notification in notifications)
        {
            Validate(notification);
        }

        var connection = transaction.Connection!;
        var now = clock.GetUtcNow();
        var subscribers = new Dictionary<NotificationEventType, IReadOnlyList<string>>();
        foreach (var chunk in notifications.Chunk(500))
        {
            var sql = new System.Text.StringBuilder("INSERT INTO sp_notifications (id, event_key, event_type, ticket_id, subject, body, link, urgent, created_at_ms) VALUES ");
            var parameters = new DynamicParameters();
            var ids = new Dictionary<string, (string Id, StaffNotification Notification)>(StringComparer.Ordinal);
            for (var i = 0; i < chunk.Length; i++)
            {
                var n = chunk[i];
                var id = "n-" + Guid.NewGuid().ToString("N");
                ids[n.EventKey] = (id, n);
                sql.Append(i == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(@id{i}, @k{i}, @t{i}, @tk{i}, @s{i}, @b{i}, @l{i}, @u{i}, @now)");
                parameters.Add($"id{i}", id);
                parameters.Add($"k{i}", n.EventKey);
                parameters.Add($"t{i}", NotificationJson.Kebab(n.Type));
                parameters.Add($"tk{i}", n.TicketId);
                parameters.Add($"s{i}", n.Subject.ReplaceLineEndings(" "));
                parameters.Add($"b{i}", n.Text);
                parameters.Add($"l{i}", n.Link);
                parameters.Add($"u{i}", n.Urgent ? 1 : 0);
            }

            parameters.Add("now", now.ToUnixTimeMilliseconds());
            sql.Append(" ON CONFLICT (event_key) DO NOTHING RETURNING event_key");
            var stored = await connection.QueryAsync<string>(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken));
            foreach (var key in stored.ToHashSet(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var (id, notification) = ids[key];
                await DeliverAsync(notification, id, transaction, now, subscribers, cancellationToken);
            }
        }
    }

    private static void Validate(StaffNotification notification)
    {
        if (string.IsNullOrWhiteSpace(notification.EventKey) || notification.EventKey.Length > MaxEventKeyLength)
        {
            throw new ArgumentException($"A notification needs an event key of 1 to {MaxEventKeyLength} characters (got '{notification.EventKey}').", nameof(notification));
        }

        if (string.IsNullOrWhiteSpace(notification.Subject))
        {
            throw new ArgumentException($"Notification '{notification.EventKey}' has no subject.", nameof(notification));
        }
    }

    /// <summary>Queues the deliveries of stored notification <paramref name="id"/>; returns how many are pending.</summary>
    private async Task<int> DeliverAsync(
        StaffNotification notification, string id, DbTransaction transaction, DateTimeOffset now,
        Dictionary<NotificationEventType, IReadOnlyList<string>> subscribers, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var nowMs = now.ToUnixTimeMilliseconds();
        var recipients = new List<string>(notification.Recipients.Where(r => !string.IsNullOrWhiteSpace(r)));
        if (notification.IncludeSubscribers)
        {
            if (!subscribers.TryGetValue(notification.Type, out var subscribed))
            {
                subscribed = await preferences.SubscribersAsync(connection, transaction, notification.Type, cancellationToken);
                subscribers[notification.Type] = subscribed;
            }

            recipients.AddRange(subscribed);
        }

        var deliveries = 0;
        foreach (var user in recipients.Distinct(StringComparer.Ordinal))
        {
            var channels = notification.Channels ?? await preferences.ChannelsAsync(connection, transaction, user, notification.Type, cancellationToken);
            var profile = await preferences.ProfileAsync(connection, transaction, user, cancellationToken);
            string? quiet = null;
            if (!notification.Urgent && profile?.QuietAt(now) is { } reason && !await onCall.IsOnCallAsync(user, now, cancellationToken))
            {
                quiet = reason;
            }

            var chain = channels.Where(c => c != NotificationChannel.InApp).Distinct().ToList();
            var index = 0;
            if (channels.Contains(NotificationChannel.InApp) || quiet is not null || chain.Count == 0)
            {
                await InsertDeliveryAsync(connection, transaction, id, user, NotificationChannel.InApp, index++, "pending", null, nowMs, cancellationToken);
                deliveries++;
            }

            for (var i = 0; i < chain.Count; i++)
            {
                var status = quiet is not null ? "suppressed" : i == 0 ? "pending" : "standby";
                await InsertDeliveryAsync(connection, transaction, id, user, chain[i], index++, status, quiet, nowMs, cancellationToken);
                deliveries += status == "pending" ? 1 : 0;
            }
        }

        foreach (var mailbox in notification.Mailboxes.Where(m => !string.IsNullOrWhiteSpace(m)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            await InsertDeliveryAsync(connection, transaction, id, MailboxPrefix + mailbox.Trim(), NotificationChannel.Email, 0, "pending", null, nowMs, cancellationToken);
            deliveries++;
        }

        if (deliveries > 0)
        {
            // Only pending deliveries give the dispatcher work; a notification nobody receives (no subscriber, no
            // recipient) must not cost a delivery pass, which under ticket intake meant one query per new ticket.
            signal.WakeSoon();
        }

        return deliveries;
    }

    public void Wake() => signal.Wake();

    /// <summary>The delivery log's recipient for a shared mailbox: <c>mailbox:</c> and its address.</summary>
    internal const string MailboxPrefix = "mailbox:";

    private static Task InsertDeliveryAsync(
        DbConnection connection, DbTransaction transaction, string notificationId, string user, NotificationChannel channel, int index, string status, string? note, long nowMs, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_notification_deliveries (id, notification_id, user_id, channel, channel_index, status, attempts, next_attempt_at_ms, last_error,
                created_at_ms, updated_at_ms)
            VALUES (@id, @notificationId, @user, @channel, @index, @status, 0, @now, @note, @now, @now)
            """,
            new { id = "d-" + Guid.NewGuid().ToString("N"), notificationId, user, channel = NotificationJson.Kebab(channel), index, status, note, now = nowMs },
            transaction,
            cancellationToken: cancellationToken));
}

/// <summary>Wakes the dispatcher when deliveries are waiting.</summary>
internal sealed class NotificationSignal
{
    private readonly SemaphoreSlim semaphore = new(0, 1);

    public void Wake()
    {
        if (semaphore.CurrentCount == 0)
        {
            try
            {
                semaphore.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    /// <summary>Wakes it a little later: called inside a transaction that is not committed yet.</summary>
    public void WakeSoon() => _ = Task.Delay(TimeSpan.FromMilliseconds(200)).ContinueWith(_ => Wake(), TaskScheduler.Default);

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => semaphore.WaitAsync(timeout, cancellationToken);
}
