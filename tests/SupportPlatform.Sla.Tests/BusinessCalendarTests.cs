using SupportPlatform.Sla.Contracts;
using static SupportPlatform.Sla.Tests.Calendars;

namespace SupportPlatform.Sla.Tests;

/// <summary>Table-driven cases of the calendar arithmetic, each worked out by hand from the zone's published rules.</summary>
public sealed class BusinessCalendarTests
{
    private static readonly BusinessCalendar London = NineToFive("Europe/London");

    [Theory]
    [InlineData("2026-03-02T10:00Z", 120, "2026-03-02T12:00Z")] // Monday, inside hours
    [InlineData("2026-03-02T07:00Z", 60, "2026-03-02T10:00Z")] // before opening: counts from 09:00
    [InlineData("2026-03-02T09:00Z", 480, "2026-03-02T17:00Z")] // runs out exactly at closing: the closing instant
    [InlineData("2026-03-02T17:00Z", 60, "2026-03-03T10:00Z")] // at closing: counts from the next morning
    [InlineData("2026-03-07T12:00Z", 30, "2026-03-09T09:30Z")] // Saturday: counts from Monday
    [InlineData("2026-03-27T16:00Z", 120, "2026-03-30T09:00Z")] // Friday GMT, weekend switches to BST: Monday 10:00 BST
    [InlineData("2026-10-23T15:00+01:00", 180, "2026-10-26T10:00Z")] // Friday BST, weekend back to GMT: Monday 10:00 GMT
    public void AddBusinessTime_LondonWeekdays_LandsOnTheWorkedOutInstant(string start, int minutes, string expected)
    {
        Assert.Equal(At(expected), London.AddBusinessTime(At(start), TimeSpan.FromMinutes(minutes)));
    }

    [Theory]
    [InlineData("America/New_York", "2026-03-06T16:00-05:00", 120, "2026-03-09T10:00-04:00")] // spring forward over the weekend
    [InlineData("America/New_York", "2026-10-30T16:00-04:00", 120, "2026-11-02T10:00-05:00")] // fall back over the weekend
    [InlineData("Australia/Sydney", "2026-04-03T16:00+11:00", 120, "2026-04-06T10:00+10:00")] // southern autumn: DST ends
    [InlineData("Australia/Sydney", "2026-10-02T16:00+10:00", 120, "2026-10-05T10:00+11:00")] // southern spring: DST starts
    [InlineData("Asia/Kolkata", "2026-03-02T16:30+05:30", 60, "2026-03-03T09:30+05:30")] // 30-minute offset
    [InlineData("Asia/Kathmandu", "2026-03-02T16:45+05:45", 30, "2026-03-03T09:15+05:45")] // 45-minute offset
    public void AddBusinessTime_WeekdaysAcrossZones_LandsOnLocalOpeningHours(string zone, string start, int minutes, string expected)
    {
        Assert.Equal(At(expected), NineToFive(zone).AddBusinessTime(At(start), TimeSpan.FromMinutes(minutes)));
    }

    [Fact]
    public void AddBusinessTime_HolidaysOnFridayAndMonday_SkipsBothDays()
    {
        var calendar = NineToFive("Europe/London", new Holiday(new(2026, 12, 25), "Christmas Day"), new Holiday(new(2026, 12, 28), "Boxing Day (substitute)"));

        // Thursday 16:00–17:00, then Tuesday from 09:00.
        Assert.Equal(At("2026-12-29T10:00Z"), calendar.AddBusinessTime(At("2026-12-24T16:00Z"), TimeSpan.FromHours(2)));
    }

    [Fact]
    public void AddBusinessTime_OvernightInterval_RunsPastMidnightAndWaitsAWeek()
    {
        var calendar = new BusinessCalendar("Europe/London", [new(DayOfWeek.Friday, Time("22:00"), Time("06:00"))], []);

        Assert.Equal(At("2026-03-07T01:00Z"), calendar.AddBusinessTime(At("2026-03-06T21:00Z"), TimeSpan.FromHours(3)));
        Assert.Equal(At("2026-03-13T23:00Z"), calendar.AddBusinessTime(At("2026-03-06T21:00Z"), TimeSpan.FromHours(9)));
    }

    [Fact]
    public void AddBusinessTime_UntilMidnightInterval_ClosesAt2400()
    {
        var calendar = new BusinessCalendar("Etc/UTC", [new(DayOfWeek.Monday, Time("18:00"), Time("00:00"))], []);

        Assert.Equal(At("2026-03-09T18:30Z"), calendar.AddBusinessTime(At("2026-03-02T23:30Z"), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void AddBusinessTime_ZeroDuration_ReturnsTheStartEvenWhenClosed()
    {
        Assert.Equal(At("2026-03-07T12:00Z"), London.AddBusinessTime(At("2026-03-07T12:00Z"), TimeSpan.Zero));
    }

    [Fact]
    public void AddBusinessTime_NegativeDuration_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => London.AddBusinessTime(At("2026-03-02T10:00Z"), TimeSpan.FromMinutes(-1)));
    }

    [Fact]
    public void AddBusinessTime_ResultIsInUtc()
    {
        Assert.Equal(TimeSpan.Zero, London.AddBusinessTime(At("2026-06-01T10:00+01:00"), TimeSpan.FromHours(1)).Offset);
    }

    // A local window on the night the clocks change: the real open time is what a wall clock inside the window shows.
    [Theory]
    [InlineData("Europe/London", "01:00", "03:00", "2026-03-28T12:00Z", 60)] // 01:00→02:00 skipped: one real hour
    [InlineData("Europe/London", "01:00", "03:00", "2026-10-24T12:00Z", 180)] // 01:00–02:00 lived twice: three real hours
    [InlineData("Europe/London", "01:00", "02:00", "2026-10-24T12:00Z", 120)] // the repeated hour alone: two real hours
    [InlineData("Europe/London", "01:00", "03:00", "2026-03-21T12:00Z", 120)] // an ordinary Sunday a week earlier
    [InlineData("America/New_York", "01:00", "03:00", "2026-03-07T12:00Z", 60)]
    [InlineData("America/New_York", "01:00", "03:00", "2026-10-31T12:00Z", 180)]
    [InlineData("America/New_York", "02:00", "03:00", "2026-03-07T12:00Z", 0)] // a window entirely in the gap never opens
    [InlineData("Australia/Sydney", "02:00", "03:00", "2026-04-04T00:00Z", 120)] // 03:00→02:00 on the first Sunday of April
    [InlineData("Australia/Sydney", "01:00", "04:00", "2026-10-03T00:00Z", 120)] // 02:00→03:00 on the first Sunday of October
    [InlineData("Australia/Lord_Howe", "01:00", "03:00", "2026-10-03T00:00Z", 90)] // half-hour DST: 02:00→02:30
    [InlineData("Australia/Lord_Howe", "01:00", "03:00", "2026-04-04T00:00Z", 150)] // half-hour DST: 02:00→01:30
    public void BusinessTimeBetween_SundayWindowOnDstNight_CountsRealTime(string zone, string start, string end, string from, int expectedMinutes)
    {
        var calendar = new BusinessCalendar(zone, [new(DayOfWeek.Sunday, Time(start), Time(end))], []);

        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), calendar.BusinessTimeBetween(At(from), At(from).AddDays(2)));
    }

    [Fact]
    public void AddBusinessTime_WindowOnFallBackNight_ContinuesThroughTheRepeatedHour()
    {
        var calendar = new BusinessCalendar("America/New_York", [new(DayOfWeek.Sunday, Time("01:00"), Time("03:00"))], []);

        // Opens 01:00 EDT (05:00Z); 150 minutes later it is 02:30 EST (07:30Z).
        Assert.Equal(At("2026-11-01T07:30Z"), calendar.AddBusinessTime(At("2026-11-01T00:00Z"), TimeSpan.FromMinutes(150)));
    }

    [Theory]
    [InlineData("2026-11-01T05:29Z", false)]
    [InlineData("2026-11-01T05:30Z", true)] // 01:30 EDT
    [InlineData("2026-11-01T05:44Z", true)]
    [InlineData("2026-11-01T05:45Z", false)]
    [InlineData("2026-11-01T06:00Z", false)] // 01:00 EST: the repeated hour, before the window again
    [InlineData("2026-11-01T06:30Z", true)] // 01:30 EST
    [InlineData("2026-11-01T06:45Z", false)]
    public void IsOpen_QuarterHourWindowInRepeatedHour_IsOpenBothTimesTheWallClockShowsIt(string instant, bool expected)
    {
        var calendar = new BusinessCalendar("America/New_York", [new(DayOfWeek.Sunday, Time("01:30"), Time("01:45"))], []);

        Assert.Equal(expected, calendar.IsOpen(At(instant)));
    }

    [Fact]
    public void AddBusinessTime_NightsOfTwoDaysInterleavedByFallBack_CountsInRealTimeOrder()
    {
        // Saturday 23:00–01:30 and Sunday 01:45–02:00 on the night 01:00–02:00 is lived twice: the real order is
        // Saturday's 03:00–05:30Z, Sunday's 05:45–06:00Z, Saturday's repeated 06:00–06:30Z, Sunday's repeated 06:45–07:00Z.
        var calendar = new BusinessCalendar("America/New_York",
            [new(DayOfWeek.Saturday, Time("23:00"), Time("01:30")), new(DayOfWeek.Sunday, Time("01:45"), Time("02:00"))], []);

        Assert.Equal(At("2026-11-01T05:55Z"), calendar.AddBusinessTime(At("2026-11-01T02:00Z"), TimeSpan.FromMinutes(160)));
        Assert.True(calendar.IsOpen(At("2026-11-01T05:50Z")));
        Assert.Equal(TimeSpan.FromMinutes(210), calendar.BusinessTimeBetween(At("2026-11-01T02:00Z"), At("2026-11-01T08:00Z")));
    }

    [Fact]
    public void NextOpening_OpeningTimeSkippedBySpringForward_OpensWhenTheWallClockPassesIt()
    {
        var calendar = new BusinessCalendar("America/New_York", [new(DayOfWeek.Sunday, Time("02:30"), Time("04:00"))], []);

        // 02:30 does not exist on 8 March 2026; the clock jumps from 01:59:59 EST to 03:00 EDT (07:00Z).
        Assert.Equal(At("2026-03-08T07:00Z"), calendar.NextOpening(At("2026-03-08T00:00Z")));
        Assert.Equal(TimeSpan.FromHours(1), calendar.BusinessTimeBetween(At("2026-03-08T00:00Z"), At("2026-03-09T00:00Z")));
    }

    [Theory]
    [InlineData("2026-03-02T08:59:59Z", false)]
    [InlineData("2026-03-02T09:00Z", true)] // intervals include their start
    [InlineData("2026-03-02T16:59:59Z", true)]
    [InlineData("2026-03-02T17:00Z", false)] // and exclude their end
    [InlineData("2026-03-07T12:00Z", false)] // Saturday
    [InlineData("2026-06-01T08:00Z", true)] // 09:00 BST
    [InlineData("2026-06-01T16:00Z", false)] // 17:00 BST
    public void IsOpen_LondonWeekdays_FollowsLocalHours(string instant, bool expected)
    {
        Assert.Equal(expected, London.IsOpen(At(instant)));
    }

    [Theory]
    [InlineData("2026-03-02T10:00Z", "2026-03-02T10:00Z")] // open: itself
    [InlineData("2026-03-02T17:00Z", "2026-03-03T09:00Z")]
    [InlineData("2026-03-06T18:00Z", "2026-03-09T09:00Z")] // Friday evening: Monday
    [InlineData("2026-03-28T10:00Z", "2026-03-30T08:00Z")] // Saturday before BST: Monday 09:00 BST
    public void NextOpening_LondonWeekdays_ReturnsTheNextLocalOpening(string instant, string expected)
    {
        Assert.Equal(At(expected), London.NextOpening(At(instant)));
    }

    [Fact]
    public void IsOpen_Holiday_ClosedAllDay()
    {
        var calendar = NineToFive("Europe/London", new Holiday(new(2026, 3, 2), "Test day"));

        Assert.False(calendar.IsOpen(At("2026-03-02T12:00Z")));
        Assert.True(calendar.IsOpen(At("2026-03-03T12:00Z")));
    }

    [Fact]
    public void BusinessTimeBetween_HolidayOnDayAfterOvernightStart_ClosesOnlyTheHolidayPart()
    {
        var friday = new OpeningInterval(DayOfWeek.Friday, Time("22:00"), Time("06:00"));
        var saturdayOff = new BusinessCalendar("Europe/London", [friday], [new Holiday(new(2026, 3, 7), "Saturday off")]);
        var fridayOff = new BusinessCalendar("Europe/London", [friday], [new Holiday(new(2026, 3, 6), "Friday off")]);

        Assert.Equal(TimeSpan.FromHours(2), saturdayOff.BusinessTimeBetween(At("2026-03-06T20:00Z"), At("2026-03-07T12:00Z")));
        Assert.Equal(TimeSpan.FromHours(6), fridayOff.BusinessTimeBetween(At("2026-03-06T20:00Z"), At("2026-03-07T12:00Z")));
    }

    [Fact]
    public void BusinessTimeBetween_SundayNightIntoMonday_WrapsTheWeek()
    {
        var calendar = new BusinessCalendar("Etc/UTC", [new(DayOfWeek.Sunday, Time("22:00"), Time("02:00"))], []);

        Assert.Equal(TimeSpan.FromHours(4), calendar.BusinessTimeBetween(At("2026-03-01T20:00Z"), At("2026-03-02T12:00Z")));
    }

    [Fact]
    public void BusinessTimeBetween_ReversedArguments_IsNegated()
    {
        Assert.Equal(TimeSpan.FromHours(-3), London.BusinessTimeBetween(At("2026-03-02T12:00Z"), At("2026-03-02T09:00Z")));
    }

    [Fact]
    public void BusinessTimeBetween_SeveralIntervalsADay_SumsThem()
    {
        var calendar = new BusinessCalendar("Europe/Paris",
            [new(DayOfWeek.Tuesday, Time("08:00"), Time("12:00")), new(DayOfWeek.Tuesday, Time("14:00"), Time("18:00"))], []);

        // 08:00–18:00 CET on Tuesday 3 March 2026 holds two four-hour intervals.
        Assert.Equal(TimeSpan.FromHours(8), calendar.BusinessTimeBetween(At("2026-03-03T06:00Z"), At("2026-03-03T18:00Z")));
        Assert.Equal(At("2026-03-03T13:30Z"), calendar.AddBusinessTime(At("2026-03-03T06:00Z"), TimeSpan.FromHours(4.5)));
    }

    [Fact]
    public void AlwaysOpen_AnyInstant_IsOpenAndCountsWallClockTime()
    {
        Assert.True(BusinessCalendar.AlwaysOpen.IsOpen(At("2026-12-25T03:00Z")));
        Assert.Equal(At("2026-12-26T03:00Z"), BusinessCalendar.AlwaysOpen.AddBusinessTime(At("2026-12-25T03:00Z"), TimeSpan.FromDays(1)));
    }
}
