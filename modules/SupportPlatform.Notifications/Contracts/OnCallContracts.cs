using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Notifications.Contracts;

/// <summary>How often a rotation hands off.</summary>
public enum HandoffKind
{
    /// <summary>Every day at the hand-off time.</summary>
    Daily = 0,

    /// <summary>Every seven days at the hand-off time, on the weekday of the rotation's start date.</summary>
    Weekly = 1,
}

/// <summary>
/// One layer of a schedule: its users take turns, handing off at <see cref="HandoffTime"/> (wall-clock time of the
/// schedule's zone) from <see cref="Start"/> on. With <see cref="ActiveFrom"/>/<see cref="ActiveTo"/> the layer covers
/// only that daily window (e.g. 18:00–09:00 for nights). Later layers in a schedule sit above earlier ones.
/// </summary>
public sealed record RotationLayer
{
    /// <summary>A name for the layer ("weekly", "nights").</summary>
    public required string Name { get; init; }

    /// <summary>Staff user ids, in turn order.</summary>
    public required IReadOnlyList<string> Users { get; init; }

    /// <summary>Daily or weekly hand-off.</summary>
    public HandoffKind Handoff { get; init; } = HandoffKind.Weekly;

    /// <summary>Local hand-off time. A time skipped by a DST change hands off when the clocks resume; a repeated one at its first occurrence.</summary>
    public TimeOnly HandoffTime { get; init; } = new(9, 0);

    /// <summary>The local date of the first hand-off (to <c>Users[0]</c>); nobody is on call in this layer before it.</summary>
    public required DateOnly Start { get; init; }

    /// <summary>Start of the daily window this layer covers (local), or null for all day.</summary>
    public TimeOnly? ActiveFrom { get; init; }

    /// <summary>End of the daily window (local, exclusive; before <see cref="ActiveFrom"/> for an overnight window).</summary>
    public TimeOnly? ActiveTo { get; init; }
}

/// <summary>A team's on-call schedule.</summary>
public sealed record OnCallSchedule
{
    /// <summary>Stable id (letters, digits, dashes); taken from the URL on <c>PUT</c>.</summary>
    public string Id { get; init; } = "";

    /// <summary>The team it covers ("L1", "L2", "security", "duty-manager").</summary>
    public string Team { get; init; } = "";

    /// <summary>Display name.</summary>
    public string? Name { get; init; }

    /// <summary>IANA time zone of the hand-off times.</summary>
    public string TimeZone { get; init; } = "";

    /// <summary>Layers, lowest first.</summary>
    public IReadOnlyList<RotationLayer> Layers { get; init; } = [];

    /// <summary>The support calendar whose open hours need no on-call cover (null: on-call covers every hour).</summary>
    public BusinessCalendar? BusinessHours { get; init; }
}

/// <summary>An override: <see cref="UserId"/> is on call instead of the layers for [<see cref="StartsAt"/>, <see cref="EndsAt"/>).</summary>
public sealed record OnCallOverride(string Id, string ScheduleId, string UserId, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string? Reason);

/// <summary>Who is on call for a schedule at an instant.</summary>
/// <param name="ScheduleId">The schedule.</param>
/// <param name="Team">Its team.</param>
/// <param name="At">The instant asked about.</param>
/// <param name="UserId">Who is on call, or null (a gap).</param>
/// <param name="Source">"override" or "layer:&lt;name&gt;", or null.</param>
/// <param name="ShiftStart">When that user's shift (or override) began.</param>
/// <param name="ShiftEnd">When it ends.</param>
public sealed record OnCallAnswer(string ScheduleId, string Team, DateTimeOffset At, string? UserId, string? Source, DateTimeOffset? ShiftStart, DateTimeOffset? ShiftEnd);

/// <summary>Answers "who is on call" for other modules (phone routing, reports).</summary>
public interface IOnCallDirectory
{
    /// <summary>Who is on call for each schedule of <paramref name="team"/> at <paramref name="at"/> (empty when the team has no schedule).</summary>
    Task<IReadOnlyList<OnCallAnswer>> WhoIsOnCallAsync(string team, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Whether <paramref name="userId"/> is on call for any schedule at <paramref name="at"/>.</summary>
    Task<bool> IsOnCallAsync(string userId, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The phone number (E.164) in <paramref name="userId"/>'s notification preferences, or null when they set none.</summary>
    Task<string?> PhoneOfAsync(string userId, CancellationToken cancellationToken = default);
}
