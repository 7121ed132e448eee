namespace SupportPlatform.Sla.Contracts;

/// <summary>What an SLA clock measures.</summary>
[GenerateSerializer, Alias("sp.sla.clock-kind")]
public enum SlaClockKind
{
    /// <summary>From ticket creation to the first public staff reply (or a call answered by staff).</summary>
    FirstResponse = 0,

    /// <summary>From a client reply to the staff update it is owed.</summary>
    NextResponse = 1,

    /// <summary>From ticket creation to resolution (continued, not restarted, when the ticket is reopened).</summary>
    Resolution = 2,
}

/// <summary>Where an SLA clock is in its life.</summary>
[GenerateSerializer, Alias("sp.sla.clock-status")]
public enum SlaClockStatus
{
    /// <summary>Nothing is owed (a next-response clock before any client reply).</summary>
    Idle = 0,

    /// <summary>Consuming its budget whenever its calendar is open.</summary>
    Running = 1,

    /// <summary>Stopped with its remaining budget kept (pending-client, or pending-vendor when the policy says so).</summary>
    Paused = 2,

    /// <summary>The promise was kept or, when <see cref="SlaClock.BreachedAt"/> is set, kept late.</summary>
    Met = 3,

    /// <summary>No longer owed: the ticket was resolved before this response was given.</summary>
    Cancelled = 4,
}

/// <summary>
/// One SLA clock: a budget of business time (<see cref="Target"/>) consumed while it runs. Immutable; every
/// transition returns a new clock. Instants are never read from the system clock: the caller passes them.
/// </summary>
/// <remarks>
/// <para>
/// While running, the clock has consumed <see cref="Consumed"/> plus the open time of its calendar since
/// <see cref="Since"/>. Its calendar is the account's business calendar passed to each call, or
/// <see cref="BusinessCalendar.AlwaysOpen"/> when <see cref="RunsAroundTheClock"/>.
/// </para>
/// <para>
/// A warning is reached when the consumed time reaches <see cref="WarningShare"/> of the target, a breach when
/// it reaches the target (a response at the due instant itself is late). Each is stamped once, at the instant it
/// was reached (not when it was noticed), by any transition or <see cref="Observe"/> at or after that instant.
/// A breach is never erased by this clock; a re-based clock re-arms its warning only.
/// </para>
/// <para>
/// An instant earlier than <see cref="Since"/> is taken as <see cref="Since"/>, so a silo whose clock is a little
/// behind never makes consumed time run backwards.
/// </para>
/// </remarks>
/// <param name="Kind">What the clock measures.</param>
/// <param name="Status">Where the clock is in its life.</param>
/// <param name="Target">The budget: business time (wall-clock time when running around the clock).</param>
/// <param name="RunsAroundTheClock">Whether the clock ignores the business calendar.</param>
/// <param name="WarningShare">Share of the target at which the warning is reached.</param>
/// <param name="Consumed">Business time consumed before <see cref="Since"/> (in total, when not running).</param>
/// <param name="Since">Running: when the current running stretch began. Otherwise: the last change.</param>
/// <param name="StartedAt">When this cycle began (null while idle).</param>
/// <param name="StoppedAt">When it was met or cancelled.</param>
/// <param name="WarnedAt">The instant the warning was reached, once stamped.</param>
/// <param name="BreachedAt">The instant the target ran out, once stamped.</param>
[GenerateSerializer, Immutable, Alias("sp.sla.clock")]
public sealed record SlaClock(
    [property: Id(0)] SlaClockKind Kind,
    [property: Id(1)] SlaClockStatus Status,
    [property: Id(2)] TimeSpan Target,
    [property: Id(3)] bool RunsAroundTheClock,
    [property: Id(4)] double WarningShare,
    [property: Id(5)] TimeSpan Consumed,
    [property: Id(6)] DateTimeOffset Since,
    [property: Id(7)] DateTimeOffset? StartedAt,
    [property: Id(8)] DateTimeOffset? StoppedAt,
    [property: Id(9)] DateTimeOffset? WarnedAt,
    [property: Id(10)] DateTimeOffset? BreachedAt)
{
    /// <summary>A clock that owes nothing yet.</summary>
    public static SlaClock Idle(SlaClockKind kind, TimeSpan target, bool runsAroundTheClock, double warningShare = SlaPolicy.DefaultWarningShare)
    {
        if (target <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "An SLA target must be positive.");
        }

        if (double.IsNaN(warningShare) || warningShare <= 0 || warningShare >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(warningShare), warningShare, "The warning share must be more than 0 and less than 1.");
        }

        return new(kind, SlaClockStatus.Idle, target, runsAroundTheClock, warningShare, TimeSpan.Zero, DateTimeOffset.MinValue, null, null, null, null);
    }

    /// <summary>A clock started at <paramref name="at"/> with its full budget (paused when <paramref name="paused"/>).</summary>
    public static SlaClock Start(SlaClockKind kind, DateTimeOffset at, TimeSpan target, bool runsAroundTheClock,
        double warningShare = SlaPolicy.DefaultWarningShare, bool paused = false) =>
        Idle(kind, target, runsAroundTheClock, warningShare).StartCycle(at, paused);

    /// <summary>The share of the target at which the warning is reached, rounded to the tick.</summary>
    public TimeSpan WarningBudget => TimeSpan.FromTicks((long)Math.Round(Target.Ticks * WarningShare, MidpointRounding.AwayFromZero));

    /// <summary>When the promise was kept (possibly late, see <see cref="BreachedAt"/>); null unless met.</summary>
    public DateTimeOffset? MetAt => Status == SlaClockStatus.Met ? StoppedAt : null;

    /// <summary>Whether the clock is running or paused: something is owed.</summary>
    public bool IsActive => Status is SlaClockStatus.Running or SlaClockStatus.Paused;

    /// <summary>
    /// Starts a new cycle with the full budget, forgetting the previous cycle's stamps (the caller keeps its own
    /// record of past breaches, as <see cref="SlaState.Breaches"/> does). Only from idle, met or cancelled.
    /// </summary>
    public SlaClock StartCycle(DateTimeOffset at, bool paused = false)
    {
        if (IsActive)
        {
            throw new InvalidOperationException($"The {Kind} clock is already {Status}; stop it before starting a new cycle.");
        }

        var utc = at.ToUniversalTime();
        return this with
        {
            Status = paused ? SlaClockStatus.Paused : SlaClockStatus.Running,
            Consumed = TimeSpan.Zero,
            Since = utc,
            StartedAt = utc,
            StoppedAt = null,
            WarnedAt = null,
            BreachedAt = null,
        };
    }

    /// <summary>Pauses a running clock, keeping the remaining budget. Other clocks are returned unchanged (after <see cref="Observe"/>).</summary>
    public SlaClock Pause(DateTimeOffset at, BusinessCalendar calendar)
    {
        var clock = Checkpoint(at, calendar);
        return clock.Status == SlaClockStatus.Running ? clock with { Status = SlaClockStatus.Paused } : clock;
    }

    /// <summary>Resumes a paused clock from <paramref name="at"/> with the budget it had left. Other clocks are returned unchanged.</summary>
    public SlaClock Resume(DateTimeOffset at) =>
        Status == SlaClockStatus.Paused ? this with { Status = SlaClockStatus.Running, Since = Clamp(at) } : this;

    /// <summary>Stops a running or paused clock as met at <paramref name="at"/> (breached first if the target had run out).</summary>
    public SlaClock Stop(DateTimeOffset at, BusinessCalendar calendar) => End(at, calendar, SlaClockStatus.Met);

    /// <summary>Stops a running or paused clock as no longer owed (a breach already reached is kept).</summary>
    public SlaClock Cancel(DateTimeOffset at, BusinessCalendar calendar) => End(at, calendar, SlaClockStatus.Cancelled);

    /// <summary>
    /// Continues a met or cancelled clock from <paramref name="at"/> with the budget it had left when it stopped
    /// (the time it was stopped does not count). Its breach, if any, stays. Other clocks are returned unchanged.
    /// </summary>
    public SlaClock Reopen(DateTimeOffset at, bool paused = false) =>
        Status is SlaClockStatus.Met or SlaClockStatus.Cancelled
            ? this with { Status = paused ? SlaClockStatus.Paused : SlaClockStatus.Running, Since = Clamp(at), StoppedAt = null }
            : this;

    /// <summary>
    /// Re-bases the clock on a new target (priority or policy change): the business time already consumed, measured
    /// up to <paramref name="at"/> on the old terms, is kept and counts against the new target; from
    /// <paramref name="at"/> on, time is measured on the new terms (24/7 or business hours). If the new target is
    /// already used up, the breach is reached at <paramref name="at"/>. A breach already reached stays; a warning
    /// already reached is re-armed when the consumed time is below the new warning point. Met and cancelled clocks
    /// keep the terms they were measured on.
    /// </summary>
    public SlaClock Rebase(DateTimeOffset at, TimeSpan target, bool runsAroundTheClock, double warningShare, BusinessCalendar calendar)
    {
        if (Status is SlaClockStatus.Met or SlaClockStatus.Cancelled)
        {
            return Observe(at, calendar);
        }

        var template = Idle(Kind, target, runsAroundTheClock, warningShare); // validates the new terms
        var settled = Checkpoint(at, calendar);
        var rebased = settled with
        {
            Target = template.Target,
            RunsAroundTheClock = template.RunsAroundTheClock,
            WarningShare = template.WarningShare,
        };
        if (rebased.WarnedAt is not null && rebased.Consumed < rebased.WarningBudget)
        {
            rebased = rebased with { WarnedAt = null };
        }

        if (rebased.Status != SlaClockStatus.Running)
        {
            // A paused (or idle) clock consumes nothing, so a new target it has already used up is reached now.
            var now = rebased.Clamp(at);
            return rebased with
            {
                WarnedAt = rebased.WarnedAt ?? (rebased.IsActive && rebased.Consumed >= rebased.WarningBudget ? now : null),
                BreachedAt = rebased.BreachedAt ?? (rebased.IsActive && rebased.Consumed >= rebased.Target ? now : null),
            };
        }

        return rebased.Observe(at, calendar);
    }

    /// <summary>
    /// Folds the time consumed up to <paramref name="at"/> into <see cref="Consumed"/> and restarts the running stretch
    /// there: needed before the account's calendar changes, so that time already past keeps the calendar it was measured on.
    /// </summary>
    public SlaClock Checkpoint(DateTimeOffset at, BusinessCalendar calendar)
    {
        var clock = Observe(at, calendar);
        if (clock.Status != SlaClockStatus.Running)
        {
            return clock;
        }

        var now = clock.Clamp(at);
        return clock with { Consumed = clock.Elapsed(now, calendar), Since = now };
    }

    /// <summary>Stamps the warning and the breach if they were reached by <paramref name="now"/>; nothing else changes.</summary>
    public SlaClock Observe(DateTimeOffset now, BusinessCalendar calendar)
    {
        if (Status != SlaClockStatus.Running)
        {
            return this;
        }

        var clock = this;
        if (WarnedAt is null)
        {
            var warningAt = WarningAt(calendar)!.Value;
            if (now >= warningAt)
            {
                clock = clock with { WarnedAt = warningAt };
            }
        }

        if (BreachedAt is null)
        {
            var dueAt = DueAt(calendar)!.Value;
            if (now >= dueAt)
            {
                clock = clock with { BreachedAt = dueAt };
            }
        }

        return clock;
    }

    /// <summary>Business time consumed by <paramref name="now"/> in this cycle.</summary>
    public TimeSpan Elapsed(DateTimeOffset now, BusinessCalendar calendar) =>
        Status == SlaClockStatus.Running ? Consumed + CalendarFor(calendar).BusinessTimeBetween(Since, Clamp(now)) : Consumed;

    /// <summary>Budget left at <paramref name="now"/>; negative once the target is overrun.</summary>
    public TimeSpan Remaining(DateTimeOffset now, BusinessCalendar calendar) => Target - Elapsed(now, calendar);

    /// <summary>When the target runs out if the clock keeps running; null unless running. In UTC.</summary>
    public DateTimeOffset? DueAt(BusinessCalendar calendar) => InstantWhenConsumed(Target, calendar);

    /// <summary>When the warning is reached if the clock keeps running; null unless running. In UTC.</summary>
    public DateTimeOffset? WarningAt(BusinessCalendar calendar) => InstantWhenConsumed(WarningBudget, calendar);

    /// <summary>Whether the target was overrun in this cycle, stamped or not yet stamped.</summary>
    public bool IsBreached(DateTimeOffset now, BusinessCalendar calendar) =>
        BreachedAt is not null || (Status == SlaClockStatus.Running && now >= DueAt(calendar)!.Value);

    private DateTimeOffset? InstantWhenConsumed(TimeSpan budget, BusinessCalendar calendar)
    {
        if (Status != SlaClockStatus.Running)
        {
            return null;
        }

        var left = budget - Consumed;
        return CalendarFor(calendar).AddBusinessTime(Since, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    private SlaClock End(DateTimeOffset at, BusinessCalendar calendar, SlaClockStatus status)
    {
        if (!IsActive)
        {
            return Observe(at, calendar);
        }

        var clock = Checkpoint(at, calendar);
        return clock with { Status = status, Since = clock.Clamp(at), StoppedAt = clock.Clamp(at) };
    }

    private BusinessCalendar CalendarFor(BusinessCalendar calendar) =>
        RunsAroundTheClock ? BusinessCalendar.AlwaysOpen : calendar ?? throw new ArgumentNullException(nameof(calendar));

    private DateTimeOffset Clamp(DateTimeOffset at) => at < Since ? Since : at.ToUniversalTime();
}
