using System.Collections.Immutable;
using SupportPlatform.Core;

namespace SupportPlatform.Sla.Contracts;

/// <summary>What the ticket's status means for the SLA clocks.</summary>
[GenerateSerializer, Alias("sp.sla.ticket-status")]
public enum SlaTicketStatus
{
    /// <summary>Any status in which the MSP is working (new, open, on-hold...): running clocks keep running.</summary>
    Active = 0,

    /// <summary>Waiting on the client: every clock pauses.</summary>
    PendingClient = 1,

    /// <summary>Waiting on a vendor: the clocks pause only when the policy says so.</summary>
    PendingVendor = 2,
}

/// <summary>Whether a deadline is the early warning or the breach itself.</summary>
[GenerateSerializer, Alias("sp.sla.deadline-kind")]
public enum SlaDeadlineKind
{
    /// <summary>The warning share of the target is used up.</summary>
    Warning = 0,

    /// <summary>The target is used up.</summary>
    Breach = 1,
}

/// <summary>A deadline the Tickets grain should have scheduled. Value equality, so lists can be diffed.</summary>
/// <param name="Clock">Which clock.</param>
/// <param name="Kind">Warning or breach.</param>
/// <param name="DueAt">When it falls due (UTC).</param>
[GenerateSerializer, Immutable, Alias("sp.sla.deadline")]
public sealed record SlaDeadline(
    [property: Id(0)] SlaClockKind Clock,
    [property: Id(1)] SlaDeadlineKind Kind,
    [property: Id(2)] DateTimeOffset DueAt);

/// <summary>A breach, kept for reports and never erased (not by reopening, not by a re-base).</summary>
/// <param name="Clock">Which clock.</param>
/// <param name="CycleStartedAt">When the breached clock's cycle began (a next-response clock has one cycle per client reply).</param>
/// <param name="At">When the target ran out.</param>
/// <param name="Priority">The ticket's priority then.</param>
/// <param name="Target">The target then.</param>
[GenerateSerializer, Immutable, Alias("sp.sla.breach")]
public sealed record SlaBreach(
    [property: Id(0)] SlaClockKind Clock,
    [property: Id(1)] DateTimeOffset CycleStartedAt,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] Priority Priority,
    [property: Id(4)] TimeSpan Target);

/// <summary>
/// A ticket's SLA: its policy and priority, the three clocks and the breaches so far. Stored in the ticket grain's
/// state; immutable. The Tickets module decides which ticket events call which transition; this type only applies
/// the rules (see the module README):
/// <list type="bullet">
/// <item><see cref="Create"/> starts the first-response and resolution clocks.</item>
/// <item><see cref="RecordStaffResponse"/>: a public staff reply, or a call answered by staff on the ticket. It meets the
/// first response when that is owed, otherwise the next response when that is owed. Internal notes never count.</item>
/// <item><see cref="RecordClientReply"/> starts a next-response clock when no response is owed yet. On a resolved
/// ticket call <see cref="Reopen"/> first, otherwise the reply is ignored.</item>
/// <item><see cref="ChangeStatus"/>: pending-client pauses every clock, pending-vendor too when the policy says so;
/// any other status resumes them with the budget they had left.</item>
/// <item><see cref="Resolve"/> meets the resolution clock and cancels the response clocks still owed;
/// <see cref="Reopen"/> continues the resolution clock with the budget it had left.</item>
/// <item><see cref="ChangePriority"/> and <see cref="ChangePolicy"/> re-base the clocks (<see cref="SlaClock.Rebase"/>).</item>
/// </list>
/// Every transition first stamps warnings and breaches reached before its instant (at the instant they were
/// reached), so a late timer never loses one. After each change, <see cref="Deadlines"/> is the complete list of
/// what should be scheduled; <see cref="NewlyReached"/> tells what to announce.
/// </summary>
/// <param name="Policy">The contract's policy.</param>
/// <param name="Priority">The ticket's priority.</param>
/// <param name="TicketStatus">The ticket's status, as far as the clocks care.</param>
/// <param name="FirstResponse">The first-response clock.</param>
/// <param name="NextResponse">The next-response clock (idle until a client reply owes one).</param>
/// <param name="Resolution">The resolution clock.</param>
/// <param name="Breaches">Every breach so far, in the order they were recorded.</param>
[GenerateSerializer, Immutable, Alias("sp.sla.state")]
public sealed record SlaState(
    [property: Id(0)] SlaPolicy Policy,
    [property: Id(1)] Priority Priority,
    [property: Id(2)] SlaTicketStatus TicketStatus,
    [property: Id(3)] SlaClock FirstResponse,
    [property: Id(4)] SlaClock NextResponse,
    [property: Id(5)] SlaClock Resolution,
    [property: Id(6)] ImmutableArray<SlaBreach> Breaches)
{
    /// <summary>A new ticket's SLA: first-response and resolution clocks running from <paramref name="at"/>.</summary>
    /// <exception cref="ArgumentException">The policy is not valid.</exception>
    public static SlaState Create(DateTimeOffset at, Priority priority, SlaPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var problems = policy.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"SLA policy '{policy.Name}' is not valid: " + string.Join(" ", problems), nameof(policy));
        }

        var targets = policy.For(priority);
        return new SlaState(
            policy,
            priority,
            SlaTicketStatus.Active,
            SlaClock.Start(SlaClockKind.FirstResponse, at, targets.For(SlaClockKind.FirstResponse), targets.RunsAroundTheClock, policy.WarningShare),
            SlaClock.Idle(SlaClockKind.NextResponse, targets.For(SlaClockKind.NextResponse), targets.RunsAroundTheClock, policy.WarningShare),
            SlaClock.Start(SlaClockKind.Resolution, at, targets.For(SlaClockKind.Resolution), targets.RunsAroundTheClock, policy.WarningShare),
            []);
    }

    /// <summary>Whether the current status pauses the clocks under the current policy.</summary>
    public bool IsPaused => PausesClocks(TicketStatus, Policy);

    /// <summary>The clock of one kind.</summary>
    public SlaClock Clock(SlaClockKind kind) => kind switch
    {
        SlaClockKind.FirstResponse => FirstResponse,
        SlaClockKind.NextResponse => NextResponse,
        SlaClockKind.Resolution => Resolution,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown SLA clock kind."),
    };

    /// <summary>A public staff reply or a call answered by staff: meets the first response, else the next response, when owed.</summary>
    public SlaState RecordStaffResponse(DateTimeOffset at, BusinessCalendar calendar)
    {
        var s = Observe(at, calendar);
        if (s.FirstResponse.IsActive)
        {
            s = s with { FirstResponse = s.FirstResponse.Stop(at, calendar) };
        }
        else if (s.NextResponse.IsActive)
        {
            s = s with { NextResponse = s.NextResponse.Stop(at, calendar) };
        }

        return s.WithBreachesLogged();
    }

    /// <summary>
    /// A client reply: starts a next-response clock unless a response is already owed (the first response, or an
    /// unanswered earlier reply, whose clock keeps its start). Ignored on a resolved ticket: call <see cref="Reopen"/> first.
    /// </summary>
    public SlaState RecordClientReply(DateTimeOffset at, BusinessCalendar calendar)
    {
        var s = Observe(at, calendar);
        if (s.Resolution.Status == SlaClockStatus.Met || s.FirstResponse.IsActive || s.NextResponse.IsActive)
        {
            return s;
        }

        var targets = s.Policy.For(s.Priority);
        var next = SlaClock.Idle(SlaClockKind.NextResponse, targets.For(SlaClockKind.NextResponse), targets.RunsAroundTheClock, s.Policy.WarningShare)
            .StartCycle(at, s.IsPaused);
        return s with { NextResponse = next };
    }

    /// <summary>The ticket's status changed: pauses or resumes the clocks accordingly.</summary>
    public SlaState ChangeStatus(DateTimeOffset at, SlaTicketStatus status, BusinessCalendar calendar)
    {
        if (!Enum.IsDefined(status))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown ticket status for the SLA.");
        }

        return (Observe(at, calendar) with { TicketStatus = status }).ApplyPause(at, calendar).WithBreachesLogged();
    }

    /// <summary>The ticket was resolved: the resolution clock is met, response clocks still owed are cancelled.</summary>
    public SlaState Resolve(DateTimeOffset at, BusinessCalendar calendar)
    {
        var s = Observe(at, calendar);
        return (s with
        {
            FirstResponse = s.FirstResponse.Cancel(at, calendar),
            NextResponse = s.NextResponse.Cancel(at, calendar),
            Resolution = s.Resolution.Stop(at, calendar),
        }).WithBreachesLogged();
    }

    /// <summary>
    /// The ticket stopped owing anything without being resolved (it was merged into another ticket, which carries the
    /// work and its own clocks on): every clock still running is cancelled, none counts as met. Breaches stay.
    /// </summary>
    public SlaState Withdraw(DateTimeOffset at, BusinessCalendar calendar)
    {
        var s = Observe(at, calendar);
        return (s with
        {
            FirstResponse = s.FirstResponse.Cancel(at, calendar),
            NextResponse = s.NextResponse.Cancel(at, calendar),
            Resolution = s.Resolution.Cancel(at, calendar),
        }).WithBreachesLogged();
    }

    /// <summary>
    /// The ticket was reopened: the resolution clock continues with the budget it had left (paused if the status
    /// pauses). Breaches stay. Cancelled response clocks stay cancelled; the client reply that reopened the ticket
    /// starts a next-response clock through <see cref="RecordClientReply"/>.
    /// </summary>
    public SlaState Reopen(DateTimeOffset at, BusinessCalendar calendar)
    {
        var s = Observe(at, calendar);
        return s.Resolution.Status == SlaClockStatus.Met ? s with { Resolution = s.Resolution.Reopen(at, s.IsPaused) } : s;
    }

    /// <summary>The ticket's priority changed: re-bases every owed clock on the new priority's targets.</summary>
    public SlaState ChangePriority(DateTimeOffset at, Priority priority, BusinessCalendar calendar)
    {
        if (!Enum.IsDefined(priority))
        {
            throw new ArgumentOutOfRangeException(nameof(priority), priority, "Unknown priority.");
        }

        return Observe(at, calendar).Rebase(at, Policy, priority, calendar);
    }

    /// <summary>The contract's policy changed: re-bases every owed clock, and re-applies the pending-vendor rule.</summary>
    /// <exception cref="ArgumentException">The policy is not valid.</exception>
    public SlaState ChangePolicy(DateTimeOffset at, SlaPolicy policy, BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var problems = policy.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"SLA policy '{policy.Name}' is not valid: " + string.Join(" ", problems), nameof(policy));
        }

        return Observe(at, calendar).Rebase(at, policy, Priority, calendar).ApplyPause(at, calendar).WithBreachesLogged();
    }

    /// <summary>
    /// The account's calendar is about to change: measures the time consumed up to <paramref name="at"/> on the
    /// <paramref name="previous"/> calendar, so that the new one only counts from <paramref name="at"/> on.
    /// </summary>
    public SlaState ChangeCalendar(DateTimeOffset at, BusinessCalendar previous) =>
        (this with
        {
            FirstResponse = FirstResponse.Checkpoint(at, previous),
            NextResponse = NextResponse.Checkpoint(at, previous),
            Resolution = Resolution.Checkpoint(at, previous),
        }).WithBreachesLogged();

    /// <summary>Stamps the warnings and breaches reached by <paramref name="now"/> (what a fired deadline calls).</summary>
    public SlaState Observe(DateTimeOffset now, BusinessCalendar calendar) =>
        (this with
        {
            FirstResponse = FirstResponse.Observe(now, calendar),
            NextResponse = NextResponse.Observe(now, calendar),
            Resolution = Resolution.Observe(now, calendar),
        }).WithBreachesLogged();

    /// <summary>
    /// Every deadline that should be scheduled now: for each running clock, its warning unless reached and its breach
    /// unless reached, ordered by due instant. Depends only on this state and the calendar, never on the time of the call.
    /// </summary>
    public IReadOnlyList<SlaDeadline> Deadlines(BusinessCalendar calendar)
    {
        var list = new List<SlaDeadline>(6);
        foreach (var clock in (ReadOnlySpan<SlaClock>)[FirstResponse, NextResponse, Resolution])
        {
            if (clock.Status != SlaClockStatus.Running)
            {
                continue;
            }

            if (clock.WarnedAt is null)
            {
                list.Add(new SlaDeadline(clock.Kind, SlaDeadlineKind.Warning, clock.WarningAt(calendar)!.Value));
            }

            if (clock.BreachedAt is null)
            {
                list.Add(new SlaDeadline(clock.Kind, SlaDeadlineKind.Breach, clock.DueAt(calendar)!.Value));
            }
        }

        list.Sort((a, b) => a.DueAt != b.DueAt ? a.DueAt.CompareTo(b.DueAt)
            : a.Clock != b.Clock ? a.Clock.CompareTo(b.Clock) : a.Kind.CompareTo(b.Kind));
        return list;
    }

    /// <summary>Warnings and breaches reached since <paramref name="previous"/>, with the instant each was reached: what to announce.</summary>
    public IReadOnlyList<SlaDeadline> NewlyReached(SlaState previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var list = new List<SlaDeadline>();
        foreach (var kind in (ReadOnlySpan<SlaClockKind>)[SlaClockKind.FirstResponse, SlaClockKind.NextResponse, SlaClockKind.Resolution])
        {
            var (before, after) = (previous.Clock(kind), Clock(kind));
            if (after.WarnedAt is { } warned && (before.WarnedAt != warned || before.StartedAt != after.StartedAt))
            {
                list.Add(new SlaDeadline(kind, SlaDeadlineKind.Warning, warned));
            }
        }

        var known = previous.Breaches.IsDefault ? [] : previous.Breaches;
        foreach (var breach in Breaches.IsDefault ? [] : Breaches)
        {
            if (!known.Contains(breach))
            {
                list.Add(new SlaDeadline(breach.Clock, SlaDeadlineKind.Breach, breach.At));
            }
        }

        return list;
    }

    /// <inheritdoc />
    public bool Equals(SlaState? other) =>
        other is not null
        && Policy == other.Policy
        && Priority == other.Priority
        && TicketStatus == other.TicketStatus
        && FirstResponse == other.FirstResponse
        && NextResponse == other.NextResponse
        && Resolution == other.Resolution
        && Breaches.AsSpan().SequenceEqual(other.Breaches.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Priority, TicketStatus, FirstResponse, NextResponse, Resolution, Breaches.Length);

    private static bool PausesClocks(SlaTicketStatus status, SlaPolicy policy) =>
        status == SlaTicketStatus.PendingClient || (status == SlaTicketStatus.PendingVendor && policy.PendingVendorPausesClocks);

    private SlaState Rebase(DateTimeOffset at, SlaPolicy policy, Priority priority, BusinessCalendar calendar)
    {
        var targets = policy.For(priority);
        SlaClock Rebased(SlaClock clock) =>
            clock.Rebase(at, targets.For(clock.Kind), targets.RunsAroundTheClock, policy.WarningShare, calendar);

        return (this with
        {
            Policy = policy,
            Priority = priority,
            FirstResponse = Rebased(FirstResponse),
            NextResponse = Rebased(NextResponse),
            Resolution = Rebased(Resolution),
        }).WithBreachesLogged();
    }

    private SlaState ApplyPause(DateTimeOffset at, BusinessCalendar calendar)
    {
        if (IsPaused)
        {
            return this with
            {
                FirstResponse = FirstResponse.Pause(at, calendar),
                NextResponse = NextResponse.Pause(at, calendar),
                Resolution = Resolution.Pause(at, calendar),
            };
        }

        return this with
        {
            FirstResponse = FirstResponse.Resume(at),
            NextResponse = NextResponse.Resume(at),
            Resolution = Resolution.Resume(at),
        };
    }

    // A breach stamped on a clock is copied to the permanent list once per clock cycle.
    private SlaState WithBreachesLogged()
    {
        var breaches = Breaches.IsDefault ? [] : Breaches;
        var changed = false;
        foreach (var clock in (ReadOnlySpan<SlaClock>)[FirstResponse, NextResponse, Resolution])
        {
            if (clock.BreachedAt is not { } at || clock.StartedAt is not { } cycle)
            {
                continue;
            }

            var known = false;
            foreach (var b in breaches)
            {
                known |= b.Clock == clock.Kind && b.CycleStartedAt == cycle;
            }

            if (!known)
            {
                breaches = breaches.Add(new SlaBreach(clock.Kind, cycle, at, Priority, clock.Target));
                changed = true;
            }
        }

        return changed ? this with { Breaches = breaches } : this;
    }
}
