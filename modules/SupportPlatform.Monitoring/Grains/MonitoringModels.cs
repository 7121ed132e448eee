using System.Text.Json.Serialization;
using SupportPlatform.Core;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Monitoring.Grains;

/// <summary>An alert on its way to a system's grain: the SDK alert plus its idempotency key, in Orleans' wire format.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.incoming-alert")]
internal sealed record IncomingAlert
{
    [Id(0)] public required string IdemKey { get; init; }
    [Id(1)] public required string Source { get; init; }
    [Id(2)] public required string HostName { get; init; }
    [Id(3)] public required string Check { get; init; }
    [Id(4)] public required AlertState State { get; init; }
    [Id(5)] public required AlertCategory Category { get; init; }
    [Id(6)] public required string DedupKey { get; init; }
    [Id(7)] public required DateTimeOffset OccurredAt { get; init; }
    [Id(8)] public required string Summary { get; init; }
    [Id(9)] public string? Details { get; init; }
    [Id(10)] public string? Link { get; init; }
    [Id(11)] public Dictionary<string, double> Metrics { get; init; } = [];
    [Id(12)] public Dictionary<string, string> Attributes { get; init; } = [];
    [Id(13)] public required DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>What a grain did with one alert.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.ingest-result")]
internal sealed record IngestResult(
    [property: Id(0)] bool Duplicate,
    [property: Id(1)] int? IncidentNumber,
    [property: Id(2)] long? TicketId);

/// <summary>Quiet hours: inside them (the account's time zone) only the states listed in <see cref="OpenOn"/> open tickets.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.quiet-hours")]
internal sealed record QuietHours
{
    [Id(0)] public required TimeOnly Start { get; init; }
    [Id(1)] public required TimeOnly End { get; init; }
    [Id(2)] public IReadOnlyList<AlertState> OpenOn { get; init; } = [];
}

/// <summary>
/// Alert rules of an account, or of one system (which then replace the account's). Every field has a default, so
/// an account without rules opens a ticket for critical alerts and resolves it on recovery.
/// </summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.rules")]
internal sealed record AlertRules
{
    /// <summary>States that open (or join) an incident with a ticket. Security events count as critical.</summary>
    [Id(0)] public IReadOnlyList<AlertState> OpenOn { get; init; } = [AlertState.Critical];

    /// <summary>Ticket priority per state ("critical", "warning", "unknown") and for security events ("security").</summary>
    [Id(1)] public IReadOnlyDictionary<string, Priority> Priorities { get; init; } = DefaultPriorities;

    [Id(2)] public QuietHours? QuietHours { get; init; }

    /// <summary>Whether the ticket is resolved when every check of the incident has recovered (else a note is added).</summary>
    [Id(3)] public bool ResolveOnRecovery { get; init; } = true;

    /// <summary>The group that gets availability incidents (null: the ticket routing rules decide).</summary>
    [Id(4)] public string? Group { get; init; }

    /// <summary>The group (queue) that gets security incidents.</summary>
    [Id(5)] public string SecurityGroup { get; init; } = "security";

    /// <summary>A check that changes state this many times within <see cref="FlapWindow"/> is flapping.</summary>
    [Id(6)] public int FlapThreshold { get; init; } = 5;

    [Id(7)] public TimeSpan FlapWindow { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Staff user ids told of each new incident through the notification service (on their own channels; urgent for a
    /// critical incident, so quiet hours do not hold it back), besides the ticket's group and the escalation policies.
    /// </summary>
    [Id(8)] public IReadOnlyList<string> Notify { get; init; } = [];

    /// <summary>Drift detection on the metrics sources report (see <see cref="DriftWatch"/>).</summary>
    [Id(9)] public AnomalyRules Anomaly { get; init; } = new();

    /// <summary>The uptime the contract promises, in percent (dashboards and reports compare against it).</summary>
    [Id(10)] public double UptimeTarget { get; init; } = 99.9;

    public static readonly IReadOnlyDictionary<string, Priority> DefaultPriorities = new Dictionary<string, Priority>
    {
        ["critical"] = Priority.High,
        ["warning"] = Priority.Normal,
        ["unknown"] = Priority.Normal,
        ["security"] = Priority.Critical,
    };

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (OpenOn.Contains(AlertState.Ok))
        {
            problems.Add("openOn cannot contain 'ok': a recovery never opens a ticket.");
        }

        foreach (var key in Priorities.Keys.Where(k => k is not ("critical" or "warning" or "unknown" or "security")))
        {
            problems.Add($"priorities has an unknown key '{key}'; use critical, warning, unknown or security.");
        }

        if (QuietHours is { } quiet && quiet.Start == quiet.End)
        {
            problems.Add("quietHours start and end are the same time; leave quietHours out for none.");
        }

        if (FlapThreshold < 2)
        {
            problems.Add("flapThreshold must be at least 2 state changes.");
        }

        if (FlapWindow <= TimeSpan.Zero || FlapWindow > TimeSpan.FromDays(1))
        {
            problems.Add("flapWindow must be between 00:00:01 and 1.00:00:00.");
        }

        if (string.IsNullOrWhiteSpace(SecurityGroup))
        {
            problems.Add("securityGroup cannot be empty.");
        }

        if (double.IsNaN(UptimeTarget) || UptimeTarget is <= 0 or > 100)
        {
            problems.Add($"uptimeTarget is {UptimeTarget}: give a percentage above 0 and at most 100, e.g. 99.9.");
        }

        if (Notify is null)
        {
            problems.Add("notify cannot be null; leave it out or give [] for nobody.");
        }

        if (Anomaly is null)
        {
            problems.Add("anomaly cannot be null; leave it out for the defaults.");
        }
        else
        {
            problems.AddRange(Anomaly.Validate().Select(p => "anomaly: " + p));
        }

        return problems;
    }

    public Priority PriorityFor(AlertState state, AlertCategory category) =>
        Priorities.TryGetValue(category == AlertCategory.Security ? "security" : Name(state), out var p)
            ? p
            : DefaultPriorities.TryGetValue(category == AlertCategory.Security ? "security" : Name(state), out var d) ? d : Priority.Normal;

    public static string Name(AlertState state) => state switch
    {
        AlertState.Ok => "ok",
        AlertState.Warning => "warning",
        AlertState.Critical => "critical",
        _ => "unknown",
    };
}

/// <summary>How metrics are watched for drift against their own recent baseline.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.anomaly-rules")]
internal sealed record AnomalyRules
{
    /// <summary>Whether metrics are watched at all.</summary>
    [Id(0)] public bool Enabled { get; init; } = true;

    /// <summary>Samples in the baseline (and before any drift is judged; also how long a new level takes to be accepted).</summary>
    [Id(1)] public int Samples { get; init; } = 20;

    /// <summary>How many standard deviations from the mean make an outlier.</summary>
    [Id(2)] public double Threshold { get; init; } = 4;

    /// <summary>Outliers in a row that raise the drift warning.</summary>
    [Id(3)] public int Consecutive { get; init; } = 3;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Samples is < 5 or > 10_000)
        {
            problems.Add($"samples is {Samples}: use 5 to 10000.");
        }

        if (double.IsNaN(Threshold) || Threshold is < 1.5 or > 50)
        {
            problems.Add($"threshold is {Threshold}: use 1.5 to 50 standard deviations.");
        }

        if (Consecutive is < 1 or > 1000)
        {
            problems.Add($"consecutive is {Consecutive}: use 1 to 1000.");
        }

        return problems;
    }
}

/// <summary>Defines (creates or updates) a monitored system.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.define-system")]
internal sealed record DefineSystem
{
    [Id(0)] public string? AccountId { get; init; }
    [Id(1)] public string? Name { get; init; }

    /// <summary>The names monitoring sources use for this system (host names, instances); matched without case.</summary>
    [Id(2)] public IReadOnlyList<string>? HostNames { get; init; }

    /// <summary>Rules for this system alone; null uses the account's.</summary>
    [Id(3)] public AlertRules? Rules { get; init; }
}

/// <summary>A check as shown.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.check-view")]
internal sealed record CheckView(
    [property: Id(0)] string Name,
    [property: Id(1)] AlertState State,
    [property: Id(2)] AlertCategory Category,
    [property: Id(3)] string Source,
    [property: Id(4)] DateTimeOffset Since,
    [property: Id(5)] DateTimeOffset LastSeen,
    [property: Id(6)] string Output,
    [property: Id(7)] string? Link,
    [property: Id(8)] bool Flapping,
    [property: Id(9)] long Alerts);

/// <summary>An incident as shown.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.incident-view")]
internal sealed record IncidentView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string SystemId { get; init; }
    [Id(2)] public required string AccountId { get; init; }
    [Id(3)] public long? TicketId { get; init; }
    [Id(4)] public required string Status { get; init; }
    [Id(5)] public required AlertCategory Category { get; init; }
    [Id(6)] public required string Summary { get; init; }
    [Id(7)] public required IReadOnlyList<string> Checks { get; init; }
    [Id(8)] public required long Alerts { get; init; }
    [Id(9)] public required DateTimeOffset OpenedAt { get; init; }
    [Id(10)] public DateTimeOffset? AcknowledgedAt { get; init; }
    [Id(11)] public DateTimeOffset? ResolvedAt { get; init; }
}

/// <summary>A monitored system as shown.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.system-view")]
internal sealed record SystemView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string AccountId { get; init; }
    [Id(2)] public required string Name { get; init; }
    [Id(3)] public required IReadOnlyList<string> HostNames { get; init; }
    [Id(4)] public required AlertState Status { get; init; }
    [Id(5)] public required IReadOnlyList<CheckView> Checks { get; init; }
    [Id(6)] public IncidentView? OpenIncident { get; init; }
    [Id(7)] public AlertRules? Rules { get; init; }
    [Id(8)] public bool InMaintenance { get; init; }
    [Id(9)] public required long Version { get; init; }
}

/// <summary>A scheduled maintenance window.</summary>
[GenerateSerializer, Immutable, Alias("sp.monitoring.maintenance")]
internal sealed record MaintenanceWindow(
    [property: Id(0)] long Id,
    [property: Id(1)] DateTimeOffset StartsAt,
    [property: Id(2)] DateTimeOffset EndsAt,
    [property: Id(3)] string Reason,
    [property: Id(4)] string CreatedBy);

/// <summary>Bad input for a system, rules or maintenance window; the API answers it as a 4xx problem.</summary>
[GenerateSerializer, Alias("sp.monitoring.rule-exception")]
internal sealed class MonitoringRuleException : Exception
{
    public MonitoringRuleException(string code, string message, int status = 422) : base(message)
    {
        Code = code;
        Status = status;
    }

    [Id(0)] public string Code { get; }

    [Id(1)] public int Status { get; }
}

/// <summary>JSON names of states and categories (kebab-case, as the API writes them).</summary>
internal static class MonitoringJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.KebabCaseLower) },
    };
}
