namespace SupportPlatform.Sdk.Monitoring;

/// <summary>The state a check reports.</summary>
public enum AlertState
{
    /// <summary>Healthy (a recovery, Nagios OK/UP, Alertmanager resolved, Datadog Recovered).</summary>
    Ok = 0,

    /// <summary>Degraded but working.</summary>
    Warning = 1,

    /// <summary>Failing: down, unreachable, out of space.</summary>
    Critical = 2,

    /// <summary>The check itself could not tell (Nagios UNKNOWN, Datadog No Data).</summary>
    Unknown = 3,
}

/// <summary>What kind of problem an alert is about; security events are critical by default and go to the security queue.</summary>
public enum AlertCategory
{
    /// <summary>Availability and performance: counts against uptime when critical.</summary>
    Availability = 0,

    /// <summary>A security event (failed logins, an intrusion detector): never counts against uptime.</summary>
    Security = 1,
}

/// <summary>
/// One alert from a monitoring source, in the one shape every source is normalised to. The sink accepts it once:
/// <see cref="Source"/>, <see cref="DedupKey"/>, <see cref="State"/> and <see cref="OccurredAt"/> together identify it,
/// so a retried or repeated delivery is recognised as a duplicate and never counted twice.
/// </summary>
public sealed record MonitoringAlert
{
    /// <summary>Longest <see cref="Summary"/>; longer ones are cut.</summary>
    public const int MaxSummary = 500;

    /// <summary>Longest <see cref="Details"/>; longer ones are cut.</summary>
    public const int MaxDetails = 20_000;

    /// <summary>The source's short name (<c>alertmanager</c>, <c>datadog</c>, <c>nagios</c>); acknowledgements go back to the plugin that handles this source.</summary>
    public required string Source { get; init; }

    /// <summary>The monitored system as the source names it: a host name, an instance, a system id. Staff map such names to systems.</summary>
    public required string System { get; init; }

    /// <summary>The check on that system (a Nagios service, an alert name); empty for the host itself.</summary>
    public string Check { get; init; } = "";

    /// <summary>The state the check reports.</summary>
    public required AlertState State { get; init; }

    /// <summary>Availability or security.</summary>
    public AlertCategory Category { get; init; } = AlertCategory.Availability;

    /// <summary>
    /// The source's key for one problem, the same from its start to its recovery (Nagios problem id with host,
    /// service and start; Datadog alert cycle key; Alertmanager fingerprint with start time).
    /// </summary>
    public required string DedupKey { get; init; }

    /// <summary>When the source saw this state (a firing alert's start, a recovery's end).</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>One line for people.</summary>
    public required string Summary { get; init; }

    /// <summary>More text: the check's output, the alert's description.</summary>
    public string? Details { get; init; }

    /// <summary>Where to look at it in the source (absolute http(s) URL), or <see langword="null"/>.</summary>
    public string? Link { get; init; }

    /// <summary>Numbers the source measured (response time in ms, disk use in %), by name; watched for drift.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// Source-specific facts the source's plugin needs to act on the alert later (Alertmanager labels for a silence, a
    /// Datadog monitor id for a downtime). Stored with the alert and handed back in <see cref="AlertAcknowledgement"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    /// <summary>What is wrong with this alert, one sentence each; empty when it can be submitted.</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        Require(Source, "source", 50);
        Require(System, "system", 255);
        Require(DedupKey, "dedup key", 500);
        if (Check is null || Check.Length > 255)
        {
            problems.Add("The check name must be at most 255 characters.");
        }

        if (string.IsNullOrWhiteSpace(Summary))
        {
            problems.Add("The alert needs a summary.");
        }

        if (!Enum.IsDefined(State))
        {
            problems.Add($"'{(int)State}' is not an alert state.");
        }

        if (!Enum.IsDefined(Category))
        {
            problems.Add($"'{(int)Category}' is not an alert category.");
        }

        if (OccurredAt == default || OccurredAt.Year < 2000)
        {
            problems.Add("The alert needs the time it occurred.");
        }

        if (Link is not null && !(Uri.TryCreate(Link, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            problems.Add($"The link '{Link}' is not an absolute http(s) URL.");
        }

        foreach (var (name, value) in Metrics)
        {
            if (string.IsNullOrWhiteSpace(name) || double.IsNaN(value) || double.IsInfinity(value))
            {
                problems.Add($"The metric '{name}' needs a name and a finite value.");
            }
        }

        return problems;

        void Require(string? value, string what, int max)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add($"The alert needs a {what}.");
            }
            else if (value.Length > max)
            {
                problems.Add($"The {what} must be at most {max} characters.");
            }
        }
    }
}
