using Microsoft.Extensions.Configuration;
using SupportPlatform.Core;

namespace SupportPlatform.Notifications.Delivery;

/// <summary>Settings of the notification service (section <c>SupportPlatform:Notifications</c>).</summary>
internal sealed record NotificationOptions
{
    public const string Section = "SupportPlatform:Notifications";

    /// <summary>Attempts per channel before falling through to the recipient's next channel.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Wait before the first retry; doubles with each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the dispatcher looks for due deliveries when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The console's public address, for links in notifications (falls back to <c>SupportPlatform:PublicUrl</c>).</summary>
    public string? PublicUrl { get; init; }

    /// <summary>How long an acknowledgement link in a notification stays valid.</summary>
    public TimeSpan AckLinkLifetime { get; init; } = TimeSpan.FromHours(24);

    public static NotificationOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var options = new NotificationOptions
        {
            MaxAttempts = Int(section, "MaxAttempts", 3, 1, 20),
            RetryDelay = Span(section, "RetryDelay", TimeSpan.FromSeconds(30)),
            PollInterval = Span(section, "PollInterval", TimeSpan.FromSeconds(1)),
            PublicUrl = section["PublicUrl"] is { Length: > 0 } url ? url : configuration["SupportPlatform:PublicUrl"],
            AckLinkLifetime = Span(section, "AckLinkLifetime", TimeSpan.FromHours(24)),
        };
        return options;
    }

    private static int Int(IConfigurationSection section, string key, int fallback, int min, int max)
    {
        if (section[key] is not { Length: > 0 } text)
        {
            return fallback;
        }

        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new PlatformSettingsException([$"{Section}:{key} is '{text}': set a whole number from {min} to {max}."]);
    }

    private static TimeSpan Span(IConfigurationSection section, string key, TimeSpan fallback)
    {
        if (section[key] is not { Length: > 0 } text)
        {
            return fallback;
        }

        return TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero
            ? value
            : throw new PlatformSettingsException([$"{Section}:{key} is '{text}': set a positive time span such as 00:00:30."]);
    }
}
