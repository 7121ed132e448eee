using SupportPlatform.Sla.Contracts;
using static SupportPlatform.Sla.Tests.Calendars;

namespace SupportPlatform.Sla.Tests;

/// <summary>One clock on a London Monday-to-Friday 09:00–17:00 calendar in March 2026 (GMT, so local = UTC).</summary>
public sealed class SlaClockTests
{
    private static readonly BusinessCalendar London = NineToFive("Europe/London");

    private static SlaClock Start(string at, double hours, bool aroundTheClock = false) =>
        SlaClock.Start(SlaClockKind.Resolution, At(at), TimeSpan.FromHours(hours), aroundTheClock);

    [Fact]
    public void DueAt_StartedFridayAfternoon_FallsOnMondayWithTheWarningBefore()
    {
        var clock = Start("2026-03-06T16:00Z", 2);

        Assert.Equal(At("2026-03-09T10:00Z"), clock.DueAt(London));
        Assert.Equal(At("2026-03-09T09:30Z"), clock.WarningAt(London)); // 75% of 2 h = 1 h 30
    }

    [Fact]
    public void Resume_AfterPauseAcrossTheNight_KeepsTheRemainingBudget()
    {
        var paused = Start("2026-03-02T16:00Z", 2).Pause(At("2026-03-02T16:30Z"), London);

        Assert.Equal(SlaClockStatus.Paused, paused.Status);
        Assert.Null(paused.DueAt(London));
        Assert.Equal(TimeSpan.FromMinutes(30), paused.Elapsed(At("2026-03-03T11:00Z"), London));

        var resumed = paused.Resume(At("2026-03-03T11:00Z"));
        Assert.Equal(At("2026-03-03T12:30Z"), resumed.DueAt(London));
    }

    [Fact]
    public void Pause_OutsideOpeningHours_CountsOnlyOpenTime()
    {
        var clock = Start("2026-03-02T16:00Z", 2).Pause(At("2026-03-02T20:00Z"), London).Resume(At("2026-03-03T08:00Z"));

        Assert.Equal(TimeSpan.FromHours(1), clock.Consumed);
        Assert.Equal(At("2026-03-03T10:00Z"), clock.DueAt(London));
    }

    [Fact]
    public void IsBreached_AtTheDueInstant_IsTrueAndNotBefore()
    {
        var clock = Start("2026-03-02T09:00Z", 2);

        Assert.False(clock.IsBreached(At("2026-03-02T11:00Z").AddTicks(-1), London));
        Assert.True(clock.IsBreached(At("2026-03-02T11:00Z"), London));
    }

    [Fact]
    public void Stop_BeforeDue_IsMetWithoutBreach()
    {
        var clock = Start("2026-03-02T09:00Z", 2).Stop(At("2026-03-02T10:59Z"), London);

        Assert.Equal(SlaClockStatus.Met, clock.Status);
        Assert.Equal(At("2026-03-02T10:59Z"), clock.MetAt);
        Assert.Null(clock.BreachedAt);
        Assert.False(clock.IsBreached(At("2026-03-09T00:00Z"), London));
        Assert.Equal(TimeSpan.FromMinutes(119), clock.Elapsed(At("2026-03-09T00:00Z"), London));
    }

    [Fact]
    public void Stop_AfterDue_RecordsTheBreachAtTheDueInstant()
    {
        var clock = Start("2026-03-02T09:00Z", 2).Stop(At("2026-03-02T15:00Z"), London);

        Assert.Equal(SlaClockStatus.Met, clock.Status);
        Assert.Equal(At("2026-03-02T11:00Z"), clock.BreachedAt);
        Assert.Equal(At("2026-03-02T10:30Z"), clock.WarnedAt);
    }

    [Fact]
    public void Rebase_ToShorterTarget_KeepsTheTimeAlreadyConsumed()
    {
        var clock = Start("2026-03-02T09:00Z", 4).Rebase(At("2026-03-02T10:00Z"), TimeSpan.FromHours(2), false, 0.75, London);

        Assert.Equal(TimeSpan.FromHours(1), clock.Consumed);
        Assert.Equal(At("2026-03-02T11:00Z"), clock.DueAt(London));
    }

    [Fact]
    public void Rebase_ToTargetAlreadyUsedUp_BreachesAtTheRebaseInstant()
    {
        var clock = Start("2026-03-02T09:00Z", 4).Rebase(At("2026-03-02T10:00Z"), TimeSpan.FromMinutes(30), false, 0.75, London);

        Assert.Equal(At("2026-03-02T10:00Z"), clock.BreachedAt);
        Assert.True(clock.IsBreached(At("2026-03-02T10:00Z"), London));
    }

    [Fact]
    public void Rebase_PausedClockToTargetAlreadyUsedUp_BreachesAtTheRebaseInstant()
    {
        var clock = Start("2026-03-02T09:00Z", 4).Pause(At("2026-03-02T10:00Z"), London)
            .Rebase(At("2026-03-02T12:00Z"), TimeSpan.FromMinutes(30), false, 0.75, London);

        Assert.Equal(SlaClockStatus.Paused, clock.Status);
        Assert.Equal(At("2026-03-02T12:00Z"), clock.BreachedAt);
    }

    [Fact]
    public void Rebase_FromBusinessHoursToAroundTheClock_CountsWallClockTimeFromThen()
    {
        var clock = Start("2026-03-02T09:00Z", 8).Rebase(At("2026-03-02T16:30Z"), TimeSpan.FromHours(9), true, 0.75, London);

        // 7 h 30 consumed on business hours; the remaining 1 h 30 runs on the wall clock, past the 17:00 closing.
        Assert.Equal(At("2026-03-02T18:00Z"), clock.DueAt(London));
    }

    [Fact]
    public void Rebase_AfterBreachToLongerTarget_NeverErasesTheBreach()
    {
        var clock = Start("2026-03-02T09:00Z", 1).Observe(At("2026-03-02T10:30Z"), London)
            .Rebase(At("2026-03-02T10:30Z"), TimeSpan.FromHours(8), false, 0.75, London);

        Assert.Equal(At("2026-03-02T10:00Z"), clock.BreachedAt);
        Assert.True(clock.IsBreached(At("2026-03-02T10:30Z"), London));
        Assert.Equal(At("2026-03-02T17:00Z"), clock.DueAt(London));
    }

    [Fact]
    public void Rebase_AfterWarningToLongerTarget_RearmsTheWarning()
    {
        var warned = Start("2026-03-02T09:00Z", 2).Observe(At("2026-03-02T10:36Z"), London);
        Assert.Equal(At("2026-03-02T10:30Z"), warned.WarnedAt);

        var rebased = warned.Rebase(At("2026-03-02T10:36Z"), TimeSpan.FromHours(4), false, 0.75, London);

        Assert.Null(rebased.WarnedAt);
        Assert.Equal(At("2026-03-02T12:00Z"), rebased.WarningAt(London)); // 3 h of business time after 09:00
    }

    [Fact]
    public void Observe_BeforeTheWarning_ChangesNothing()
    {
        var clock = Start("2026-03-02T09:00Z", 2);

        Assert.Equal(clock, clock.Observe(At("2026-03-02T10:29Z"), London));
    }

    [Fact]
    public void Pause_AtAnInstantBeforeTheRunningStretch_DoesNotRunTimeBackwards()
    {
        var clock = Start("2026-03-02T10:00Z", 2).Pause(At("2026-03-02T09:59Z"), London);

        Assert.Equal(TimeSpan.Zero, clock.Consumed);
        Assert.Equal(At("2026-03-02T10:00Z"), clock.Since);
    }

    [Fact]
    public void DueAt_AroundTheClock_IgnoresTheCalendar()
    {
        Assert.Equal(At("2026-03-07T13:00Z"), Start("2026-03-07T12:00Z", 1, aroundTheClock: true).DueAt(London));
    }

    [Fact]
    public void Reopen_MetClock_ContinuesWithTheBudgetLeftWhenItStopped()
    {
        var clock = Start("2026-03-02T09:00Z", 4).Stop(At("2026-03-02T12:00Z"), London).Reopen(At("2026-03-04T09:00Z"));

        Assert.Equal(SlaClockStatus.Running, clock.Status);
        Assert.Equal(At("2026-03-04T10:00Z"), clock.DueAt(London));
    }

    [Fact]
    public void StartCycle_ActiveClock_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => Start("2026-03-02T09:00Z", 1).StartCycle(At("2026-03-02T10:00Z")));
    }
}
