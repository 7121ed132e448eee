using SupportPlatform.Core;
using SupportPlatform.Sla.Contracts;
using static SupportPlatform.Sla.Tests.Calendars;

namespace SupportPlatform.Sla.Tests;

/// <summary>Invalid calendars and policies are refused with a message that says what to fix.</summary>
public sealed class ValidationTests
{
    [Fact]
    public void Validate_WeekdaysCalendar_HasNoProblems()
    {
        Assert.Empty(NineToFive("Europe/London", new Holiday(new(2026, 12, 25), "Christmas Day")).Validate());
        Assert.Empty(BusinessCalendar.AlwaysOpen.Validate());
    }

    [Theory]
    [InlineData("Europe/Lundon", "'Europe/Lundon' is not a known IANA time zone id")]
    [InlineData("", "The time zone is missing")]
    [InlineData("GMT Standard Time", "is not a known IANA time zone id")] // a Windows id
    public void Validate_BadTimeZone_SaysWhichIdAndWhatToUse(string zone, string expected)
    {
        var problem = Assert.Single(NineToFive(zone).Validate());
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.Contains("Europe/London", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoOpeningHours_SaysTheCalendarIsNeverOpen()
    {
        var problem = Assert.Single(new BusinessCalendar("Europe/London", [], []).Validate());
        Assert.Contains("never open", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DayOfWeek.Monday, "09:00", "17:00", DayOfWeek.Monday, "12:00", "18:00", "Monday 09:00–17:00 and Monday 12:00–18:00 overlap")]
    [InlineData(DayOfWeek.Friday, "22:00", "06:00", DayOfWeek.Saturday, "05:00", "12:00", "Friday 22:00–Saturday 06:00 and Saturday 05:00–12:00 overlap")]
    [InlineData(DayOfWeek.Sunday, "20:00", "02:00", DayOfWeek.Monday, "01:00", "09:00", "overlap")] // wraps the week
    [InlineData(DayOfWeek.Tuesday, "00:00", "00:00", DayOfWeek.Tuesday, "23:00", "23:30", "Tuesday 00:00–24:00")]
    public void Validate_OverlappingIntervals_NamesBoth(DayOfWeek d1, string s1, string e1, DayOfWeek d2, string s2, string e2, string expected)
    {
        var calendar = new BusinessCalendar("Europe/London", [new(d1, Time(s1), Time(e1)), new(d2, Time(s2), Time(e2))], []);

        var problem = Assert.Single(calendar.Validate());
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AdjacentIntervals_AreAllowed()
    {
        var calendar = new BusinessCalendar("Europe/London",
            [new(DayOfWeek.Monday, Time("09:00"), Time("12:00")), new(DayOfWeek.Monday, Time("12:00"), Time("00:00")), OpeningInterval.AllDay(DayOfWeek.Tuesday)], []);

        Assert.Empty(calendar.Validate());
        Assert.Equal(TimeSpan.FromHours(39), calendar.BusinessTimeBetween(At("2026-03-02T00:00Z"), At("2026-03-04T00:00Z")));
    }

    [Fact]
    public void AddBusinessTime_HolidaysNeverAssigned_MeansNoHolidays()
    {
        var calendar = new BusinessCalendar("Etc/UTC", [OpeningInterval.AllDay(DayOfWeek.Monday)], default);

        Assert.Empty(calendar.Validate());
        Assert.Equal(At("2026-03-02T01:00Z"), calendar.AddBusinessTime(At("2026-03-01T12:00Z"), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void Validate_IntervalEndingWhenItStarts_AsksForAClosingTime()
    {
        var problem = Assert.Single(new BusinessCalendar("Europe/London", [new(DayOfWeek.Monday, Time("09:00"), Time("09:00"))], []).Validate());
        Assert.Contains("Monday 09:00–09:00 ends when it starts", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HolidayTwiceOrUnnamed_SaysWhichDate()
    {
        var problems = NineToFive("Europe/London",
            new Holiday(new(2026, 12, 25), "Christmas Day"), new Holiday(new(2026, 12, 25), "Xmas"), new Holiday(new(2026, 12, 26), " ")).Validate();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("2026-12-25 is listed twice", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("2026-12-26 has no name", StringComparison.Ordinal));
    }

    [Fact]
    public void AddBusinessTime_InvalidCalendar_ThrowsWithTheProblems()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            NineToFive("Mars/Olympus_Mons").AddBusinessTime(At("2026-03-02T10:00Z"), TimeSpan.FromHours(1)));
        Assert.Contains("'Mars/Olympus_Mons' is not a known IANA time zone id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReferencePolicy_HasNoProblems()
    {
        Assert.Empty(SlaPolicy.Reference.Validate());
        Assert.Equal(TimeSpan.FromHours(1), SlaPolicy.Reference.For(Priority.Critical).For(SlaClockKind.FirstResponse));
        Assert.True(SlaPolicy.Reference.For(Priority.Critical).RunsAroundTheClock);
    }

    [Fact]
    public void Validate_MissingAndDuplicatePriorities_NamesThem()
    {
        var targets = SlaPolicy.Reference.Targets.RemoveAll(t => t.Priority == Priority.Low).Add(SlaPolicy.Reference.For(Priority.High));

        var problems = (SlaPolicy.Reference with { Targets = targets }).Validate();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("no targets for priority Low", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Priority High has targets 2 times", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ZeroTarget_NamesPriorityAndKind()
    {
        var targets = SlaPolicy.Reference.Targets.Replace(SlaPolicy.Reference.For(Priority.Normal), SlaPolicy.Reference.For(Priority.Normal) with { NextResponseMinutes = 0 });

        var problem = Assert.Single((SlaPolicy.Reference with { Targets = targets }).Validate());
        Assert.Contains("next response target for priority Normal must be at least 1 business minute (it is 0)", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(1.2)]
    [InlineData(double.NaN)]
    public void Validate_WarningShareOutsideZeroToOne_Explains(double share)
    {
        var problem = Assert.Single((SlaPolicy.Reference with { WarningShare = share }).Validate());
        Assert.Contains("warning share must be more than 0 and less than 1", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InvalidPolicy_ThrowsWithTheProblems()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            SlaState.Create(At("2026-03-02T10:00Z"), Priority.High, SlaPolicy.Reference with { Name = "" }));
        Assert.Contains("has no name", error.Message, StringComparison.Ordinal);
    }
}
