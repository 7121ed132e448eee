using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using SupportPlatform.Core.Security;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Notifications.Delivery;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Notifications.Api;

/// <summary><c>/api/notifications</c>: my preferences, my in-app list, the delivery log, a test notification.</summary>
internal static class NotificationsApi
{
    public static void MapNotificationsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/notifications").WithTags("Notifications");
        group.MapGet("/preferences", GetPreferences).WithName("GetNotificationPreferences").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("My channels per event type (in order: the first is tried first, the next when it fails), quiet hours, phone number and chat target.");
        group.MapPut("/preferences", PutPreferences).WithName("PutNotificationPreferences").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Sets my notification preferences.");
        group.MapGet("/mine", Mine).WithName("ListMyNotifications").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("My in-app notifications, newest first.");
        group.MapGet("/deliveries", Deliveries).WithName("ListNotificationDeliveries").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("The delivery log: every attempt per recipient and channel with its status and last error (filters: userId, status, eventKey).");
        group.MapPost("/test", Test).WithName("SendTestNotification").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Sends me a test notification on my channels for the given event type (default new-ticket).");
    }

    internal sealed record PreferencesBody(
        string? TimeZone, string? QuietStart, string? QuietEnd, string? Phone, string? ChatTarget, Dictionary<string, List<string>>? Channels);

    private static async Task<IResult> GetPreferences(HttpContext http, PreferenceStore store, CancellationToken cancellationToken)
    {
        var (profile, channels) = await store.GetAsync(http.User.UserId()!, cancellationToken);
        return Results.Ok(new
        {
            timeZone = profile?.TimeZone ?? "Etc/UTC",
            quietStart = profile?.QuietStart?.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            quietEnd = profile?.QuietEnd?.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            phone = profile?.Phone,
            chatTarget = profile?.ChatTarget,
            channels = channels.ToDictionary(c => NotificationJson.Kebab(c.Key), c => c.Value.Select(NotificationJson.Kebab).ToList()),
        });
    }

    private static async Task<IResult> PutPreferences(PreferencesBody body, HttpContext http, PreferenceStore store, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var zone = string.IsNullOrWhiteSpace(body.TimeZone) ? "Etc/UTC" : body.TimeZone.Trim();
        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is null)
        {
            problems.Add($"timeZone: '{zone}' is not a known IANA time zone id (e.g. \"Europe/London\").");
        }

        var start = Time(body.QuietStart, "quietStart", problems);
        var end = Time(body.QuietEnd, "quietEnd", problems);
        if ((start is null) != (end is null) || (start is not null && start == end))
        {
            problems.Add("quietStart and quietEnd: set both (different times, HH:mm) or neither.");
        }

        var phone = string.IsNullOrWhiteSpace(body.Phone) ? null : body.Phone.Trim();
        if (phone is not null && !(phone.StartsWith('+') && phone.Length is >= 8 and <= 16 && phone[1..].All(char.IsAsciiDigit)))
        {
            problems.Add($"phone: '{phone}' is not an E.164 number (e.g. \"+447700900123\").");
        }

        var channels = new Dictionary<NotificationEventType, IReadOnlyList<NotificationChannel>>();
        foreach (var (typeText, list) in body.Channels ?? [])
        {
            if (!NotificationJson.TryParseKebab<NotificationEventType>(typeText, out var type))
            {
                problems.Add($"channels: '{typeText}' is not an event type (use {string.Join(", ", Enum.GetValues<NotificationEventType>().Select(NotificationJson.Kebab))}).");
                continue;
            }

            var parsed = new List<NotificationChannel>();
            foreach (var item in list ?? [])
            {
                if (NotificationJson.TryParseKebab<NotificationChannel>(item, out var channel))
                {
                    parsed.Add(channel);
                }
                else
                {
                    problems.Add($"channels.{typeText}: '{item}' is not a channel (use {string.Join(", ", Enum.GetValues<NotificationChannel>().Select(NotificationJson.Kebab))}).");
                }
            }

            if ((parsed.Contains(NotificationChannel.Sms) || parsed.Contains(NotificationChannel.Voice)) && phone is null)
            {
                problems.Add($"channels.{typeText}: sms and voice need a phone number.");
            }

            channels[type] = [.. parsed.Distinct()];
        }

        if (problems.Count > 0)
        {
            return ApiErrors.Invalid(problems);
        }

        var user = http.User.UserId()!;
        await store.PutAsync(user, new NotificationProfile(zone, start, end, phone, string.IsNullOrWhiteSpace(body.ChatTarget) ? null : body.ChatTarget.Trim()), channels, cancellationToken);
        return await GetPreferences(http, store, cancellationToken);
    }

    private static TimeOnly? Time(string? text, string field, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (TimeOnly.TryParseExact(text.Trim(), "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time))
        {
            return time;
        }

        problems.Add($"{field}: '{text}' is not a time of day as HH:mm (e.g. \"22:00\").");
        return null;
    }

    private static async Task<IResult> Mine(HttpContext http, IDatabase database, int? limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<LogRow>(new CommandDefinition(
            Select + " WHERE d.user_id = @user AND d.channel = 'in-app' AND d.status = 'sent' ORDER BY n.created_at_ms DESC LIMIT @limit",
            new { user = http.User.UserId(), limit = Math.Clamp(limit ?? 50, 1, 200) }, cancellationToken: cancellationToken));
        return Results.Ok(rows.Select(View));
    }

    private static async Task<IResult> Deliveries(IDatabase database, string? userId, string? status, string? eventKey, int? limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<LogRow>(new CommandDefinition(
            Select + """
             WHERE (@userId IS NULL OR d.user_id = @userId) AND (@status IS NULL OR d.status = @status) AND (@eventKey IS NULL OR n.event_key = @eventKey)
             ORDER BY d.created_at_ms DESC, d.channel_index LIMIT @limit
            """,
            new { userId, status, eventKey, limit = Math.Clamp(limit ?? 100, 1, 500) }, cancellationToken: cancellationToken));
        return Results.Ok(rows.Select(View));
    }

    private static async Task<IResult> Test(HttpContext http, INotifier notifier, string? type, CancellationToken cancellationToken)
    {
        var eventType = NotificationEventType.NewTicket;
        if (type is not null && !NotificationJson.TryParseKebab(type, out eventType))
        {
            return ApiErrors.Invalid($"type: '{type}' is not an event type.");
        }

        var user = http.User.UserId()!;
        var result = await notifier.NotifyAsync(new StaffNotification("test/" + Guid.NewGuid().ToString("N"), eventType, "Test notification", $"A test notification for {http.User.DisplayName()}.")
        {
            Recipients = [user],
        }, cancellationToken);
        return Results.Ok(result);
    }

    private const string Select = """
        SELECT d.id AS Id, n.id AS NotificationId, n.event_key AS EventKey, n.event_type AS EventType, n.ticket_id AS TicketId, n.subject AS Subject, n.body AS Body, n.link AS Link,
               d.user_id AS UserId, d.channel AS Channel, d.status AS Status, d.attempts AS Attempts, d.last_error AS LastError, d.provider_id AS ProviderId, d.provider_status AS ProviderStatus,
               d.created_at_ms AS CreatedAtMs, d.sent_at_ms AS SentAtMs, d.next_attempt_at_ms AS NextAttemptAtMs
        FROM sp_notification_deliveries d JOIN sp_notifications n ON n.id = d.notification_id
        """;

    private static object View(LogRow r) => new
    {
        id = r.Id,
        notificationId = r.NotificationId,
        eventKey = r.EventKey,
        eventType = r.EventType,
        ticketId = r.TicketId,
        subject = r.Subject,
        text = r.Body,
        link = r.Link,
        userId = r.UserId,
        channel = r.Channel,
        status = r.Status,
        attempts = r.Attempts,
        lastError = r.LastError,
        providerId = r.ProviderId,
        providerStatus = r.ProviderStatus,
        createdAt = DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAtMs),
        sentAt = r.SentAtMs is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : (DateTimeOffset?)null,
        nextAttemptAt = r.Status == "pending" ? DateTimeOffset.FromUnixTimeMilliseconds(r.NextAttemptAtMs) : (DateTimeOffset?)null,
    };

    private sealed class LogRow
    {
        public string Id { get; set; } = "";
        public string NotificationId { get; set; } = "";
        public string EventKey { get; set; } = "";
        public string EventType { get; set; } = "";
        public long? TicketId { get; set; }
        public string Subject { get; set; } = "";
        public string Body { get; set; } = "";
        public string? Link { get; set; }
        public string UserId { get; set; } = "";
        public string Channel { get; set; } = "";
        public string Status { get; set; } = "";
        public int Attempts { get; set; }
        public string? LastError { get; set; }
        public string? ProviderId { get; set; }
        public string? ProviderStatus { get; set; }
        public long CreatedAtMs { get; set; }
        public long? SentAtMs { get; set; }
        public long NextAttemptAtMs { get; set; }
    }
}
