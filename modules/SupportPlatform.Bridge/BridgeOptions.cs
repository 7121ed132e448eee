using System.Globalization;
using Microsoft.Extensions.Configuration;
using SupportPlatform.Core;

namespace SupportPlatform.Bridge;

/// <summary>
/// The bridge's settings (<c>SupportPlatform:Bridge:*</c>), checked at start; a bad value names its key.
/// </summary>
internal sealed record BridgeOptions
{
    public const string Section = "SupportPlatform:Bridge";

    /// <summary>How often a finished import asks the help desk's incremental export for later changes (missed webhooks).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the worker looks for due work when nothing woke it.</summary>
    public TimeSpan WorkInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The IANA time zone of accounts created from the help desk's organisations.</summary>
    public string TimeZone { get; init; } = "Etc/UTC";

    public static BridgeOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var options = new BridgeOptions();
        var problems = new List<string>();

        TimeSpan Span(string name, TimeSpan fallback, string example)
        {
            if (section[name] is not { Length: > 0 } raw)
            {
                return fallback;
            }

            if (TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero)
            {
                return value;
            }

            problems.Add($"{Section}:{name} is '{raw}'; it must be a positive time span such as {example}.");
            return fallback;
        }

        var poll = Span("PollInterval", options.PollInterval, "00:01:00");
        var work = Span("WorkInterval", options.WorkInterval, "00:00:02");
        var zone = section["TimeZone"] ?? options.TimeZone;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            problems.Add($"{Section}:TimeZone is '{zone}'; it must be an IANA time zone such as Europe/London.");
        }

        if (problems.Count > 0)
        {
            throw new PlatformSettingsException(problems);
        }

        return options with { PollInterval = poll, WorkInterval = work, TimeZone = zone };
    }
}
