using SupportPlatform.Core;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Monitoring.Grains;

/// <summary>
/// A monitored system's state as its grain keeps it, stored as JSON in <c>sp_monitor_systems.state</c> in the same
/// transaction as the alerts that changed it (see <see cref="MonitoredSystemGrain"/>).
/// </summary>
internal sealed class SystemState
{
    public Dictionary<string, CheckState> Checks { get; set; } = new(StringComparer.Ordinal);

    public IncidentState? Incident { get; set; }

    /// <summary>Incidents opened so far; the next one gets this plus one.</summary>
    public int IncidentCount { get; set; }

    /// <summary>The last history row's sequence number.</summary>
    public long ChangeSeq { get; set; }

    /// <summary>Whether an availability check is critical right now.</summary>
    public bool Down { get; set; }

    /// <summary>Metric baselines for drift detection, by check and metric name.</summary>
    public Dictionary<string, MetricBaseline> Baselines { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Ticket work decided but not yet done (a durable outbox: done after the commit, retried until it succeeds).</summary>
    public List<TicketAction> Pending { get; set; } = [];
}

internal sealed class CheckState
{
    public AlertState State { get; set; }

    public AlertCategory Category { get; set; }

    public DateTimeOffset Since { get; set; }

    public DateTimeOffset LastSeen { get; set; }

    public string Source { get; set; } = "";

    public string HostName { get; set; } = "";

    public string DedupKey { get; set; } = "";

    public string Summary { get; set; } = "";

    public string? Details { get; set; }

    public string? Link { get; set; }

    public Dictionary<string, string> Attributes { get; set; } = [];

    public long Alerts { get; set; }

    /// <summary>When the state changed recently (within the flap window), for flapping detection.</summary>
    public List<DateTimeOffset> RecentChanges { get; set; } = [];

    public bool Flapping { get; set; }
}

internal sealed class IncidentState
{
    public int Number { get; set; }

    public long TicketId { get; set; }

    public AlertCategory Category { get; set; }

    public Priority Priority { get; set; }

    public string Summary { get; set; } = "";

    public List<string> Checks { get; set; } = [];

    public long Alerts { get; set; }

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }

    /// <summary>Whether the "flapping, left open" note was added (once per incident).</summary>
    public bool FlapNoted { get; set; }
}

internal enum TicketActionKind
{
    Create,
    Note,
    Resolve,
    AcknowledgeAtSource,
}

/// <summary>One piece of ticket work; <see cref="Id"/> doubles as the comment id, so a repeat adds nothing twice.</summary>
internal sealed class TicketAction
{
    public string Id { get; set; } = Guid.NewGuid().ToString("N");

    public TicketActionKind Kind { get; set; }

    public long TicketId { get; set; }

    public int Incident { get; set; }

    public string? Subject { get; set; }

    public string? Body { get; set; }

    public Priority Priority { get; set; }

    public string? Group { get; set; }

    /// <summary>For <see cref="TicketActionKind.Create"/>: staff user ids the rules name, told through the notification service.</summary>
    public List<string>? Notify { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>For <see cref="TicketActionKind.AcknowledgeAtSource"/>: the check whose source is told, and by whom.</summary>
    public string? Check { get; set; }

    public string? Author { get; set; }

    public int Attempts { get; set; }
}
