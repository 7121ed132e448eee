using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SupportPlatform.Core;
using SupportPlatform.Sdk.Telephony;

namespace SupportPlatform.Phone;

/// <summary>
/// Phone settings (<c>SupportPlatform:Phone</c>), validated at start with a message naming the bad key.
/// </summary>
internal sealed partial record PhoneOptions
{
    public const string Section = "SupportPlatform:Phone";

    /// <summary>How on-duty staff are rung: simultaneous (default) or sequential.</summary>
    public RingStrategy Ring { get; init; } = RingStrategy.Simultaneous;

    /// <summary>How long one ring attempt lasts (default 20 s).</summary>
    public TimeSpan RingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Said before recording a voicemail.</summary>
    public string Greeting { get; init; } = "Thank you for calling support. Nobody can take your call right now. Please leave a message after the tone and we will call you back.";

    /// <summary>The longest voicemail (default 120 s).</summary>
    public TimeSpan MaxVoicemail { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Whether to ask the provider for transcriptions (default true).</summary>
    public bool Transcribe { get; init; } = true;

    /// <summary>
    /// The fallback on-call number, rung after hours for accounts whose contract says so only while no on-call schedule
    /// exists for <see cref="OnCallTeam"/>.
    /// </summary>
    public string? OnCallNumber { get; init; }

    /// <summary>The on-call team (Notifications schedules) whose engineer on call takes after-hours calls of critical contracts.</summary>
    public string OnCallTeam { get; init; } = "L1";

    /// <summary>Time zone of the MSP's own support hours (weekdays 09:00-17:00), used for callers no account matches.</summary>
    public string TimeZone { get; init; } = "Etc/UTC";

    public static PhoneOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var options = new PhoneOptions();
        string Key(string name) => $"{Section}:{name}";

        if (section["Ring"] is { Length: > 0 } ring)
        {
            options = options with
            {
                Ring = ring.ToLowerInvariant() switch
                {
                    "simultaneous" => RingStrategy.Simultaneous,
                    "sequential" => RingStrategy.Sequential,
                    _ => throw Bad($"{Key("Ring")} is '{ring}'; use 'simultaneous' or 'sequential'."),
                },
            };
        }

        if (section["RingTimeoutSeconds"] is { Length: > 0 } timeout)
        {
            options = options with { RingTimeout = TimeSpan.FromSeconds(Seconds(timeout, 5, 120, Key("RingTimeoutSeconds"))) };
        }

        if (section["MaxVoicemailSeconds"] is { Length: > 0 } max)
        {
            options = options with { MaxVoicemail = TimeSpan.FromSeconds(Seconds(max, 10, 3600, Key("MaxVoicemailSeconds"))) };
        }

        if (section["Greeting"] is { Length: > 0 } greeting)
        {
            options = options with { Greeting = greeting };
        }

        if (section["Transcribe"] is { Length: > 0 } transcribe)
        {
            options = options with { Transcribe = bool.TryParse(transcribe, out var t) ? t : throw Bad($"{Key("Transcribe")} is '{transcribe}'; use true or false.") };
        }

        if (section["OnCallNumber"] is { Length: > 0 } onCall)
        {
            options = options with { OnCallNumber = E164().IsMatch(onCall) ? onCall : throw Bad($"{Key("OnCallNumber")} is '{onCall}'; write it in E.164 form like +442079460000.") };
        }

        if (section["OnCallTeam"] is { } team)
        {
            options = options with { OnCallTeam = team.Trim().Length > 0 ? team.Trim() : throw Bad($"{Key("OnCallTeam")} is empty; name the on-call team whose schedule takes after-hours calls (default L1).") };
        }

        if (section["TimeZone"] is { Length: > 0 } zone)
        {
            options = options with
            {
                TimeZone = SupportPlatform.Sla.Contracts.BusinessCalendar.TwentyFourSeven(zone).Validate().Count == 0
                    ? zone
                    : throw Bad($"{Key("TimeZone")} is '{zone}'; use an IANA time zone id such as Europe/London."),
            };
        }

        // Staff hear of allowance thresholds through the notification service, the one path for staff notifications
        // (issue 14); the old mailbox list would have been a second one, so a configuration still naming it is refused.
        if (section.GetSection("StaffNotificationAddresses").Exists())
        {
            throw Bad($"{Key("StaffNotificationAddresses")} is no longer read: staff are told of allowance thresholds by the notification service. "
                + "Remove the setting; each staff user who wants these subscribes to 'hour-threshold' in their notification preferences "
                + "(console: Notifications, or PUT /api/notifications/preferences), which also choose the channel (email, SMS, chat...).");
        }

        return options;
    }

    private static PlatformSettingsException Bad(string problem) => new([problem]);

    private static int Seconds(string value, int min, int max, string key) =>
        int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= min && seconds <= max
            ? seconds
            : throw Bad($"{key} is '{value}'; use a whole number of seconds from {min} to {max}.");

    [GeneratedRegex(@"^\+[1-9][0-9]{5,14}$")]
    public static partial Regex E164();
}
