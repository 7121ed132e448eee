using NodaTime;
using SupportPlatform.Reports.Data;
using SupportPlatform.Reports.Delivery;
using SupportPlatform.Reports.Domain;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Reports.Tests;

/// <summary>The pure arithmetic of reports: statistics, periods (DST, weeks cut at month ends), availability, schedules.</summary>
public sealed class ReportMathTests
{
    private static DateTimeOffset Utc(string s) => DateTimeOffset.Parse(s + "Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Median_OddAndEven_P90NearestRank()
    {
        var odd = DurationStats.Of([.. new[] { 120, 30, 45, 100, 20, 30, 90 }.Select(m => TimeSpan.FromMinutes(m))]);
        Assert.Equal((7, 45.0, 120.0), (odd.Count, odd.MedianMinutes!.Value, odd.P90Minutes!.Value));
        var even = DurationStats.Of([.. new[] { 720, 570, 360, 240, 120, 120 }.Select(m => TimeSpan.FromMinutes(m))]);
        Assert.Equal((6, 300.0, 720.0), (even.Count, even.MedianMinutes!.Value, even.P90Minutes!.Value));
        var ten = DurationStats.Of([.. Enumerable.Range(1, 10).Select(m => TimeSpan.FromMinutes(m))]);
        Assert.Equal((5.5, 9.0), (ten.MedianMinutes!.Value, ten.P90Minutes!.Value));
        Assert.Equal(new DurationStats(0, null, null), DurationStats.Of([]));
    }

    [Fact]
    public void MonthlyPeriod_InLondon_OverTheAutumnDstChange_Has745Hours()
    {
        var october = ReportPeriod.Parse("monthly", "2026-10", "Europe/London");
        Assert.Equal(Utc("2026-09-30T23:00:00"), october.From);
        Assert.Equal(Utc("2026-11-01T00:00:00"), october.To);
        Assert.Equal(TimeSpan.FromHours(745), october.To - october.From);
        Assert.Equal("2026-09", october.Previous().Label);
    }

    [Fact]
    public void WeeksOfMonth_AreCutAtTheMonthBoundaries()
    {
        var weeks = ReportPeriod.Parse("monthly", "2026-10", "Europe/London").WeeksInside();
        Assert.Equal(["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"], weeks.Select(w => w.Label));
        Assert.Equal((new LocalDate(2026, 10, 1), new LocalDate(2026, 10, 4)), (weeks[0].First, weeks[0].Last));
        Assert.Equal((new LocalDate(2026, 10, 26), new LocalDate(2026, 10, 31)), (weeks[^1].First, weeks[^1].Last));
        Assert.Equal(Utc("2026-09-30T23:00:00"), weeks[0].From);
        Assert.Equal(Utc("2026-10-26T00:00:00"), weeks[3].To); // W43 has the extra hour of the fall-back night
        Assert.Equal(TimeSpan.FromHours((7 * 24) + 1), weeks[3].To - weeks[3].From);
        Assert.Equal(Utc("2026-11-01T00:00:00"), weeks[^1].To);
    }

    [Fact]
    public void WeeklyPeriod_IsoWeeks_AndBadLabelsAreRefusedByName()
    {
        var w = ReportPeriod.Parse("weekly", "2026-W53", "Etc/UTC");
        Assert.Equal((new LocalDate(2026, 12, 28), new LocalDate(2027, 1, 3)), (w.FirstDay, w.LastDay));
        Assert.Equal("2026-W01", ReportPeriod.Week(new LocalDate(2025, 12, 29), "Etc/UTC").Label);
        Assert.Contains("week 54 does not exist", Assert.Throws<ReportException>(() => ReportPeriod.Parse("weekly", "2026-W54", "Etc/UTC")).Message);
        Assert.Contains("'2026-13' is not a month", Assert.Throws<ReportException>(() => ReportPeriod.Parse("monthly", "2026-13", "Etc/UTC")).Message);
        Assert.Contains("'yearly' is not a report kind", Assert.Throws<ReportException>(() => ReportPeriod.Parse("yearly", "2026", "Etc/UTC")).Message);
    }

    [Fact]
    public void Availability_MaintenanceWindowIsCutOutOfDownAndMeasuredTime()
    {
        static long Ms(string s) => Utc(s).ToUnixTimeMilliseconds();
        var changes = new List<ChangeRow>
        {
            new() { At_Ms = Ms("2026-10-10T10:00:00"), To_State = "down" },
            new() { At_Ms = Ms("2026-10-10T10:30:00"), To_State = "up" },
            new() { At_Ms = Ms("2026-10-20T01:00:00"), To_State = "down" },
            new() { At_Ms = Ms("2026-10-20T03:00:00"), To_State = "up" },
        };
        var windows = new List<WindowRow> { new() { Starts_At_Ms = Ms("2026-10-20T00:00:00"), Ends_At_Ms = Ms("2026-10-20T02:00:00") } };
        var (measured, down, maintenance) = ReportBuilder.Availability(Ms("2026-09-30T23:00:00"), Ms("2026-11-01T00:00:00"), changes, windows);
        Assert.Equal(44580L, measured / 60000);
        Assert.Equal(90L, down / 60000);
        Assert.Equal(120L, maintenance / 60000);

        // Down at the start of the period (the last change before it was "down").
        var (m2, d2, _) = ReportBuilder.Availability(Ms("2026-10-10T10:15:00"), Ms("2026-10-10T11:00:00"), changes, []);
        Assert.Equal((45L, 15L), (m2 / 60000, d2 / 60000));
    }

    [Fact]
    public void Schedules_WeeklyOnTheChosenDay_MonthlyOnTheFirstBusinessDay_InLocalTime()
    {
        var settings = ReportSettings.Default("acme") with { WeeklyEnabled = true, WeeklyDay = DayOfWeek.Monday, WeeklyHour = 8, MonthlyEnabled = true, MonthlyHour = 8 };

        // Thursday 2026-10-22: the next Monday is 2026-10-26, after the clocks went back (08:00 GMT), sending week 43.
        var (due, period) = ReportScheduleGrain.NextWeekly(settings, "Europe/London", Utc("2026-10-22T12:00:00"));
        Assert.Equal((Utc("2026-10-26T08:00:00"), "2026-W43"), (due, period));

        // Monday 2026-10-19 before 08:00 BST (07:00 UTC): today, sending week 42.
        Assert.Equal((Utc("2026-10-19T07:00:00"), "2026-W42"), ReportScheduleGrain.NextWeekly(settings, "Europe/London", Utc("2026-10-19T06:59:00")));

        // November 2026 starts on a Sunday: the first business day is Monday the 2nd; with a holiday that day, Tuesday.
        var calendar = BusinessCalendar.Weekdays("Europe/London", new TimeOnly(9, 0), new TimeOnly(17, 0));
        Assert.Equal((Utc("2026-11-02T08:00:00"), "2026-10"), ReportScheduleGrain.NextMonthly(settings, "Europe/London", calendar, Utc("2026-10-22T12:00:00")));
        var holiday = BusinessCalendar.Weekdays("Europe/London", new TimeOnly(9, 0), new TimeOnly(17, 0), new Holiday(new DateOnly(2026, 11, 2), "Closed"));
        Assert.Equal((Utc("2026-11-03T08:00:00"), "2026-10"), ReportScheduleGrain.NextMonthly(settings, "Europe/London", holiday, Utc("2026-10-22T12:00:00")));

        // Once this month's send is past, the next one is in December (the 1st is a Tuesday), sending November.
        Assert.Equal((Utc("2026-12-01T08:00:00"), "2026-11"), ReportScheduleGrain.NextMonthly(settings, "Europe/London", calendar, Utc("2026-11-02T08:00:00")));
    }
}
