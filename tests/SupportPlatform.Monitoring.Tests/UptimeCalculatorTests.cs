using SupportPlatform.Monitoring.Uptime;

namespace SupportPlatform.Monitoring.Tests;

public sealed class UptimeCalculatorTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Compute_DownWithMaintenanceOverlap_MaintenanceExcluded()
    {
        // Down 10:00-12:00; maintenance 11:00-13:00: one hour down counts, two hours are maintenance.
        var figure = UptimeCalculator.Compute(Day, Day.AddDays(1), false,
            [(Day.AddHours(10), true), (Day.AddHours(12), false)], [(Day.AddHours(11), Day.AddHours(13))]);

        Assert.Equal(3600, figure.DownSeconds);
        Assert.Equal(7200, figure.MaintenanceSeconds);
        Assert.Equal(22 * 3600, figure.MeasuredSeconds);
        Assert.Equal(Math.Round(100 * 21.0 / 22, 4), figure.UptimePercent);
    }

    [Fact]
    public void Compute_DownAtStartAndNeverRecovered_WholePeriodDown()
    {
        var figure = UptimeCalculator.Compute(Day, Day.AddHours(6), true, [], []);

        Assert.Equal(6 * 3600, figure.DownSeconds);
        Assert.Equal(0, figure.UptimePercent);
    }

    [Fact]
    public void Compute_EmptyPeriod_NotMeasured() =>
        Assert.Null(UptimeCalculator.Compute(Day, Day, false, [], []).UptimePercent);
}
