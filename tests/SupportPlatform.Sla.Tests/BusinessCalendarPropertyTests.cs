using CsCheck;
using NodaTime;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Sla.Tests;

/// <summary>
/// Properties of the calendar arithmetic over random calendars (zones with DST, half- and quarter-hour offsets,
/// overnight intervals, holidays) and random instants biased towards DST nights.
/// </summary>
public sealed class BusinessCalendarPropertyTests
{
    private const long Iterations = 300;

    private static readonly string[] Zones =
    [
        "Europe/London", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata",
        "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns", "Europe/Berlin", "Etc/UTC",
    ];

    // Nights when some of the zones above change their clocks, plus ordinary days.
    private static readonly DateTimeOffset[] Anchors =
    [
        new(2026, 3, 8, 0, 0, 0, TimeSpan.Zero), new(2026, 3, 29, 0, 0, 0, TimeSpan.Zero), new(2026, 4, 5, 0, 0, 0, TimeSpan.Zero),
        new(2026, 9, 27, 0, 0, 0, TimeSpan.Zero), new(2026, 10, 4, 0, 0, 0, TimeSpan.Zero), new(2026, 10, 25, 0, 0, 0, TimeSpan.Zero),
        new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), new(2026, 6, 15, 0, 0, 0, TimeSpan.Zero), new(2027, 1, 10, 0, 0, 0, TimeSpan.Zero),
    ];

    private static readonly DateOnly HolidayBase = new(2026, 1, 1);

    /// <summary>
    /// Non-overlapping weekly intervals on a quarter-hour grid, each at most 24 hours, some across midnight, rotated
    /// around the week so that some run from Sunday night into Monday.
    /// </summary>
    internal static readonly Gen<BusinessCalendar> GenCalendar =
        Gen.Select(
            Gen.OneOf(Zones),
            Gen.Int[0, (7 * 96) - 1].Array[2, 10],
            Gen.Int[0, 500].Array[0, 12],
            Gen.Int[0, (7 * 96) - 1],
            (zone, points, holidayDays, shift) => MakeCalendar(zone, points, holidayDays, shift));

    /// <summary>An instant within three days of a DST night (or an ordinary day), to the tick.</summary>
    internal static readonly Gen<DateTimeOffset> GenInstant =
        Gen.Select(Gen.OneOf(Anchors), Gen.Long[-3 * TimeSpan.TicksPerDay, 3 * TimeSpan.TicksPerDay], (anchor, ticks) => anchor.AddTicks(ticks));

    /// <summary>Business time up to two days, to the tick, with zero likely.</summary>
    private static readonly Gen<TimeSpan> GenDuration =
        Gen.Frequency((1, Gen.Const(TimeSpan.Zero)), (8, Gen.Long[1, 2 * TimeSpan.TicksPerDay].Select(TimeSpan.FromTicks)));

    [Fact]
    public void BusinessTimeBetween_StartAndAddBusinessTime_ReturnsTheDuration()
    {
        Gen.Select(GenCalendar, GenInstant, GenDuration).Sample((calendar, start, duration) =>
            calendar.BusinessTimeBetween(start, calendar.AddBusinessTime(start, duration)) == duration, iter: Iterations);
    }

    [Fact]
    public void AddBusinessTime_InTwoSteps_EqualsInOneStep()
    {
        Gen.Select(GenCalendar, GenInstant, GenDuration, GenDuration).Sample((calendar, start, a, b) =>
            calendar.AddBusinessTime(calendar.AddBusinessTime(start, a), b) == calendar.AddBusinessTime(start, a + b), iter: Iterations);
    }

    [Fact]
    public void AddBusinessTime_LongerDurationOrLaterStart_NeverEndsEarlier()
    {
        Gen.Select(GenCalendar, GenInstant, GenDuration, GenDuration).Sample((calendar, start, a, b) =>
        {
            var (shorter, longer) = a <= b ? (a, b) : (b, a);
            var later = start + shorter;
            return calendar.AddBusinessTime(start, shorter) <= calendar.AddBusinessTime(start, longer)
                && calendar.AddBusinessTime(start, longer) <= calendar.AddBusinessTime(later, longer)
                && calendar.AddBusinessTime(start, longer) >= start;
        }, iter: Iterations);
    }

    [Fact]
    public void AddBusinessTime_PositiveDuration_EndsAtAnInstantWhenTheCalendarWasOpen()
    {
        Gen.Select(GenCalendar, GenInstant, GenDuration.Where(d => d > TimeSpan.Zero)).Sample((calendar, start, duration) =>
            calendar.IsOpen(calendar.AddBusinessTime(start, duration).AddTicks(-1)), iter: Iterations);
    }

    [Fact]
    public void BusinessTimeBetween_SplitAtAnyInstant_AddsUp()
    {
        Gen.Select(GenCalendar, GenInstant, GenInstant, GenInstant).Sample((calendar, a, b, c) =>
            calendar.BusinessTimeBetween(a, b) + calendar.BusinessTimeBetween(b, c) == calendar.BusinessTimeBetween(a, c)
            && calendar.BusinessTimeBetween(a, c) == -calendar.BusinessTimeBetween(c, a), iter: Iterations);
    }

    [Fact]
    public void BusinessTimeBetween_Interval_NeverExceedsWallClockTime()
    {
        Gen.Select(GenCalendar, GenInstant, GenInstant).Sample((calendar, a, b) =>
        {
            var (from, to) = a <= b ? (a, b) : (b, a);
            var business = calendar.BusinessTimeBetween(from, to);
            return business >= TimeSpan.Zero && business <= to - from;
        }, iter: Iterations);
    }

    [Fact]
    public void IsOpen_AnyInstant_MatchesTheWallClockDefinition()
    {
        Gen.Select(GenCalendar, GenInstant).Sample((calendar, instant) =>
            calendar.IsOpen(instant) == OpenByWallClock(calendar, instant), iter: Iterations * 5);
    }

    [Fact]
    public void BusinessTimeBetween_ThreeDays_EqualsOpenMinutesCountedOneByOne()
    {
        // The calendar's boundaries are on a quarter-hour grid and every zone's offsets and 2026 transitions are whole
        // minutes, so openness is constant within each minute and counting minutes is exact.
        Gen.Select(GenCalendar, GenInstant).Sample((calendar, instant) =>
        {
            var start = new DateTimeOffset(instant.UtcTicks - (instant.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
            var minutes = 0;
            for (var m = 0; m < 3 * 24 * 60; m++)
            {
                minutes += OpenByWallClock(calendar, start.AddMinutes(m)) ? 1 : 0;
            }

            return calendar.BusinessTimeBetween(start, start.AddDays(3)) == TimeSpan.FromMinutes(minutes);
        }, iter: 60);
    }

    [Fact]
    public void NextOpening_AnyInstant_IsOpenWithNothingOpenBefore()
    {
        Gen.Select(GenCalendar, GenInstant).Sample((calendar, instant) =>
        {
            var next = calendar.NextOpening(instant);
            return next >= instant
                && calendar.IsOpen(next)
                && calendar.BusinessTimeBetween(instant, next) == TimeSpan.Zero
                && (next == instant) == calendar.IsOpen(instant);
        }, iter: Iterations);
    }

    [Fact]
    public void AddBusinessTime_TwentyFourSevenCalendarInAnyZone_EqualsWallClockTime()
    {
        Gen.Select(Gen.OneOf(Zones), GenInstant, GenDuration).Sample((zone, start, duration) =>
        {
            var calendar = BusinessCalendar.TwentyFourSeven(zone);
            return calendar.AddBusinessTime(start, duration) == start + duration
                && calendar.BusinessTimeBetween(start, start + duration) == duration;
        }, iter: Iterations);
    }

    /// <summary>The definition, computed in the other direction: instant → local date-time → inside an interval?</summary>
    private static bool OpenByWallClock(BusinessCalendar calendar, DateTimeOffset instant)
    {
        var zone = DateTimeZoneProviders.Tzdb[calendar.TimeZoneId];
        var local = Instant.FromDateTimeOffset(instant).InZone(zone).LocalDateTime;
        var date = DateOnly.FromDateTime(local.ToDateTimeUnspecified());
        if (calendar.Holidays.Any(h => h.Date == date))
        {
            return false;
        }

        var time = TimeOnly.FromTimeSpan(local.TimeOfDay.ToTimeOnly().ToTimeSpan());
        var yesterday = (DayOfWeek)(((int)date.DayOfWeek + 6) % 7);
        return calendar.OpeningHours.Any(i =>
            (i.Day == date.DayOfWeek && time >= i.Start && (i.RunsPastMidnight || time < i.End))
            || (i.Day == yesterday && i.RunsPastMidnight && time < i.End));
    }

    private static BusinessCalendar MakeCalendar(string zone, int[] points, int[] holidayDays, int shift)
    {
        const int quartersPerDay = 96;
        var sorted = points.Distinct().Order().ToArray();
        var intervals = new List<OpeningInterval>();
        for (var i = 0; i + 1 < sorted.Length; i += 2)
        {
            var length = Math.Min(sorted[i + 1] - sorted[i], quartersPerDay);
            var rotated = (sorted[i] + shift) % (7 * quartersPerDay);
            if (length == quartersPerDay && rotated % quartersPerDay != 0)
            {
                length--; // 09:00–09:00 is not allowed; 00:00–00:00 is the whole day.
            }

            var day = (DayOfWeek)(((rotated / quartersPerDay) + 1) % 7); // week position 0 is Monday 00:00
            intervals.Add(new OpeningInterval(day, Quarter(rotated % quartersPerDay), Quarter((rotated + length) % quartersPerDay)));
        }

        if (intervals.Count == 0)
        {
            intervals.Add(new OpeningInterval(DayOfWeek.Monday, new(9, 0), new(17, 0)));
        }

        var holidays = holidayDays.Distinct().Select(d => new Holiday(HolidayBase.AddDays(d), "Holiday " + d)).ToArray();
        var calendar = new BusinessCalendar(zone, [.. intervals], [.. holidays]);
        var problems = calendar.Validate();
        return problems.Count == 0 ? calendar : throw new InvalidOperationException("Generated an invalid calendar: " + string.Join(" ", problems));

        static TimeOnly Quarter(int q) => new(q / 4, q % 4 * 15);
    }
}
