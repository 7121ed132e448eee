using CsCheck;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Sla.Tests;

/// <summary>A clock paused and resumed at random instants over random calendars agrees with summing its running stretches.</summary>
public sealed class SlaClockPropertyTests
{
    private static readonly Gen<(BusinessCalendar Calendar, DateTimeOffset Start, TimeSpan Target, long[] Steps)> GenRun =
        Gen.Select(
            BusinessCalendarPropertyTests.GenCalendar,
            BusinessCalendarPropertyTests.GenInstant,
            Gen.Long[TimeSpan.TicksPerMinute, 3 * TimeSpan.TicksPerDay].Select(TimeSpan.FromTicks),
            Gen.Long[0, 2 * TimeSpan.TicksPerDay].Array[0, 8]);

    [Fact]
    public void Elapsed_AfterPausesAndResumes_EqualsTheSumOfRunningStretches()
    {
        GenRun.Sample(run =>
        {
            var (calendar, clock, stretches, now) = Drive(run);
            var expected = stretches.Aggregate(TimeSpan.Zero, (sum, s) => sum + calendar.BusinessTimeBetween(s.From, s.To));
            return clock.Elapsed(now, calendar) == expected
                && clock.IsBreached(now, calendar) == (expected >= run.Target);
        }, iter: 200);
    }

    [Fact]
    public void BreachedAt_AfterPausesAndResumes_IsTheInstantTheBudgetRanOut()
    {
        GenRun.Sample(run =>
        {
            var (calendar, clock, stretches, now) = Drive(run);
            clock = clock.Observe(now, calendar);
            if (clock.BreachedAt is not { } breachedAt)
            {
                return clock.DueAt(calendar) is null || clock.DueAt(calendar) > now;
            }

            var consumedThen = stretches.Aggregate(TimeSpan.Zero, (sum, s) =>
                sum + (s.From >= breachedAt ? TimeSpan.Zero : calendar.BusinessTimeBetween(s.From, s.To < breachedAt ? s.To : breachedAt)));
            return consumedThen == run.Target;
        }, iter: 200);
    }

    // Alternates pause and resume at the given steps after the start; "now" is one more step (or the last instant).
    private static (BusinessCalendar Calendar, SlaClock Clock, List<(DateTimeOffset From, DateTimeOffset To)> Stretches, DateTimeOffset Now) Drive(
        (BusinessCalendar Calendar, DateTimeOffset Start, TimeSpan Target, long[] Steps) run)
    {
        var (calendar, start, target, steps) = run;
        var clock = SlaClock.Start(SlaClockKind.Resolution, start, target, runsAroundTheClock: false);
        var stretches = new List<(DateTimeOffset, DateTimeOffset)>();
        var at = start;
        var runningSince = start;
        for (var i = 0; i < steps.Length; i++)
        {
            at = at.AddTicks(steps[i]);
            if (clock.Status == SlaClockStatus.Running)
            {
                clock = clock.Pause(at, calendar);
                stretches.Add((runningSince, at));
            }
            else
            {
                clock = clock.Resume(at);
                runningSince = at;
            }
        }

        var now = at.AddHours(5);
        if (clock.Status == SlaClockStatus.Running)
        {
            stretches.Add((runningSince, now));
        }

        return (calendar, clock, stretches, now);
    }
}
