namespace SupportPlatform.Notifications.Contracts;

/// <summary>Whom an escalation step notifies.</summary>
public enum EscalationTargetKind
{
    /// <summary>Whoever is on call for <see cref="EscalationTarget.Team"/>.</summary>
    OnCall = 0,

    /// <summary>One staff user, <see cref="EscalationTarget.UserId"/>.</summary>
    User = 1,

    /// <summary>Whoever is on call for the duty-manager team (setting <c>SupportPlatform:Notifications:DutyManagerTeam</c>, default <c>duty-manager</c>).</summary>
    DutyManager = 2,
}

/// <summary>The target of an escalation step.</summary>
public sealed record EscalationTarget(EscalationTargetKind Kind, string? Team = null, string? UserId = null);

/// <summary>One step: notify <see cref="Targets"/> <see cref="AfterMinutes"/> minutes after the trigger unless someone acknowledged.</summary>
public sealed record EscalationStep
{
    /// <summary>Minutes after the trigger (0: at once). Steps run in this order.</summary>
    public int AfterMinutes { get; init; }

    /// <summary>Whom to notify.</summary>
    public required IReadOnlyList<EscalationTarget> Targets { get; init; }

    /// <summary>Channels to use instead of the targets' preferences (e.g. sms then voice), or null.</summary>
    public IReadOnlyList<NotificationChannel>? Channels { get; init; }
}

/// <summary>What starts an escalation.</summary>
public enum EscalationTrigger
{
    /// <summary>A new ticket of critical priority.</summary>
    CriticalTicket = 0,

    /// <summary>An SLA clock reached its warning share.</summary>
    SlaWarning = 1,

    /// <summary>An SLA clock ran out.</summary>
    SlaBreach = 2,

    /// <summary>A voicemail ticket (left after hours or unanswered).</summary>
    Voicemail = 3,

    /// <summary>A critical monitoring incident (a monitoring ticket of critical priority).</summary>
    MonitoringIncident = 4,
}

/// <summary>
/// An escalation policy for an account (null: every account) and priority (null: every priority). The most specific
/// policy wins: account and priority, then account, then priority, then the default.
/// </summary>
public sealed record EscalationPolicy
{
    /// <summary>Stable id; taken from the URL on <c>PUT</c>.</summary>
    public string Id { get; init; } = "";

    /// <summary>The account, or null for every account.</summary>
    public string? AccountId { get; init; }

    /// <summary>The priority (<c>critical</c>, <c>high</c>...), or null for every priority.</summary>
    public SupportPlatform.Core.Priority? Priority { get; init; }

    /// <summary>What starts it; null or empty for every trigger.</summary>
    public IReadOnlyList<EscalationTrigger>? Triggers { get; init; }

    /// <summary>The steps.</summary>
    public IReadOnlyList<EscalationStep> Steps { get; init; } = [];
}
