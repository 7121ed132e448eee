using System.Data.Common;
using Dapper;
using NodaTime;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Notifications.Delivery;

/// <summary>Where and when to reach a user (<c>sp_notification_profiles</c>).</summary>
/// <param name="TimeZone">IANA zone of the quiet hours.</param>
/// <param name="QuietStart">Local start of quiet hours, or null for none.</param>
/// <param name="QuietEnd">Local end (exclusive; before the start for a window over midnight).</param>
/// <param name="Phone">E.164 number for SMS and voice.</param>
/// <param name="ChatTarget">The chat plugin's target name, or null for its default.</param>
internal sealed record NotificationProfile(string TimeZone, TimeOnly? QuietStart, TimeOnly? QuietEnd, string? Phone, string? ChatTarget)
{
    /// <summary>Why <paramref name="now"/> is in quiet hours, or null when it is not.</summary>
    public string? QuietAt(DateTimeOffset now)
    {
        if (QuietStart is not { } from || QuietEnd is not { } to || DateTimeZoneProviders.Tzdb.GetZoneOrNull(TimeZone) is not { } zone)
        {
            return null;
        }

        var local = Instant.FromDateTimeOffset(now).InZone(zone).TimeOfDay;
        var t = new TimeOnly(local.TickOfDay);
        var quiet = from < to ? t >= from && t < to : t >= from || t < to;
        return quiet ? $"quiet hours {from:HH\\:mm}–{to:HH\\:mm} {TimeZone}" : null;
    }
}

/// <summary>Per-user channels per event type and profiles.</summary>
internal sealed class PreferenceStore(IDatabase database, TimeProvider clock)
{
    /// <summary>Channels used for a user who set none for an event type.</summary>
    public static readonly IReadOnlyList<NotificationChannel> DefaultChannels = [NotificationChannel.InApp, NotificationChannel.Email];

    public async Task<IReadOnlyList<NotificationChannel>> ChannelsAsync(DbConnection connection, DbTransaction? transaction, string user, NotificationEventType type, CancellationToken cancellationToken)
    {
        var text = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT channels FROM sp_notification_preferences WHERE user_id = @user AND event_type = @type",
            new { user, type = NotificationJson.Kebab(type) }, transaction, cancellationToken: cancellationToken));
        return text is null ? DefaultChannels : Parse(text);
    }

    public async Task<IReadOnlyList<string>> SubscribersAsync(DbConnection connection, DbTransaction? transaction, NotificationEventType type, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT user_id FROM sp_notification_preferences WHERE event_type = @type AND channels <> '' ORDER BY user_id",
            new { type = NotificationJson.Kebab(type) }, transaction, cancellationToken: cancellationToken))];

    public async Task<NotificationProfile?> ProfileAsync(DbConnection connection, DbTransaction? transaction, string user, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(string TimeZone, string? QuietStart, string? QuietEnd, string? Phone, string? ChatTarget)?>(new CommandDefinition(
            "SELECT time_zone, quiet_start, quiet_end, phone, chat_target FROM sp_notification_profiles WHERE user_id = @user",
            new { user }, transaction, cancellationToken: cancellationToken));
        return row is { } r
            ? new NotificationProfile(r.TimeZone, r.QuietStart is null ? null : TimeOnly.Parse(r.QuietStart, System.Globalization.CultureInfo.InvariantCulture),
                r.QuietEnd is null ? null : TimeOnly.Parse(r.QuietEnd, System.Globalization.CultureInfo.InvariantCulture), r.Phone, r.ChatTarget)
            : null;
    }

    public async Task<(NotificationProfile? Profile, IReadOnlyDictionary<NotificationEventType, IReadOnlyList<NotificationChannel>> Channels)> GetAsync(string user, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var profile = await ProfileAsync(connection, null, user, cancellationToken);
        var channels = new Dictionary<NotificationEventType, IReadOnlyList<NotificationChannel>>();
        foreach (var type in Enum.GetValues<NotificationEventType>())
        {
            channels[type] = await ChannelsAsync(connection, null, user, type, cancellationToken);
        }

        return (profile, channels);
    }

    public async Task PutAsync(string user, NotificationProfile profile, IReadOnlyDictionary<NotificationEventType, IReadOnlyList<NotificationChannel>> channels, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_notification_profiles (user_id, time_zone, quiet_start, quiet_end, phone, chat_target, updated_at_ms)
            VALUES (@user, @zone, @start, @end, @phone, @chat, @now)
            ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
                phone = excluded.phone, chat_target = excluded.chat_target, updated_at_ms = excluded.updated_at_ms
            """,
            new
            {
                user, zone = profile.TimeZone, start = profile.QuietStart?.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                end = profile.QuietEnd?.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), phone = profile.Phone, chat = profile.ChatTarget,
                now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            },
            transaction,
            cancellationToken: cancellationToken));
        foreach (var (type, list) in channels)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO sp_notification_preferences (user_id, event_type, channels) VALUES (@user, @type, @channels)
                ON CONFLICT (user_id, event_type) DO UPDATE SET channels = excluded.channels
                """,
                new { user, type = NotificationJson.Kebab(type), channels = string.Join(',', list.Select(NotificationJson.Kebab)) },
                transaction,
                cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static IReadOnlyList<NotificationChannel> Parse(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => NotificationJson.TryParseKebab<NotificationChannel>(p, out var c) ? (NotificationChannel?)c : null)
            .Where(c => c is not null).Select(c => c!.Value)];
}
