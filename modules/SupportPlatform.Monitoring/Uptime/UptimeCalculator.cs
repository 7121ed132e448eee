namespace SupportPlatform.Monitoring.Uptime;

/// <summary>Availability of one period.</summary>
/// <param name="From">Start of the period (or when monitoring began, if later).</param>
/// <param name="To">End of the period (or now, if earlier).</param>
/// <param name="MeasuredSeconds">Time monitored, maintenance excluded.</param>
/// <param name="DownSeconds">Time down outside maintenance.</param>
/// <param name="MaintenanceSeconds">Scheduled maintenance within the period.</param>
/// <param name="UptimePercent">Share of the measured time up; null when nothing was measured.</param>
internal sealed record UptimeFigure(DateTimeOffset From, DateTimeOffset To, double MeasuredSeconds, double DownSeconds, double MaintenanceSeconds, double? UptimePercent);

/// <summary>Uptime from the history of the system's availability (down/up changes), with maintenance windows excluded.</summary>
internal static class UptimeCalculator
{
    /// <param name="from">Period start.</param>
    /// <param name="to">Period end.</param>
    /// <param name="downAtStart">Whether the system was down at <paramref name="from"/> (the last change before it).</param>
    /// <param name="changes">Availability changes within the period, in order.</param>
    /// <param name="maintenance">Maintenance windows (any overlap with the period counts).</param>
    public static UptimeFigure Compute(
        DateTimeOffset from, DateTimeOffset to, bool downAtStart, IReadOnlyList<(DateTimeOffset At, bool Down)> changes, IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> maintenance)
    {
        if (to <= from)
        {
            return new UptimeFigure(from, to, 0, 0, 0, null);
        }

        var down = new List<(DateTimeOffset, DateTimeOffset)>();
        var isDown = downAtStart;
        var since = from;
        foreach (var (at, nowDown) in changes.Where(c => c.At >= from && c.At < to).OrderBy(c => c.At))
        {
            if (isDown && !nowDown)
            {
                down.Add((since, at));
            }
            else if (!isDown && nowDown)
            {
                since = at;
            }

            isDown = nowDown;
        }

        if (isDown)
        {
            down.Add((since, to));
        }

        var windows = Merge(maintenance.Select(m => (Max(m.Start, from), Min(m.End, to))).Where(m => m.Item1 < m.Item2));
        var maintenanceSeconds = windows.Sum(w => (w.Item2 - w.Item1).TotalSeconds);
        var downSeconds = down.Sum(d => (d.Item2 - d.Item1).TotalSeconds - windows.Sum(w => Overlap(d, w)));
        var measured = (to - from).TotalSeconds - maintenanceSeconds;
        return new UptimeFigure(from, to, measured, downSeconds, maintenanceSeconds, measured <= 0 ? null : Math.Round(100 * (measured - downSeconds) / measured, 4));
    }

    private static double Overlap((DateTimeOffset Start, DateTimeOffset End) a, (DateTimeOffset Start, DateTimeOffset End) b)
    {
        var start = Max(a.Start, b.Start);
        var end = Min(a.End, b.End);
        return end > start ? (end - start).TotalSeconds : 0;
    }

    private static List<(DateTimeOffset, DateTimeOffset)> Merge(IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> windows)
    {
        var merged = new List<(DateTimeOffset, DateTimeOffset)>();
        foreach (var w in windows.OrderBy(w => w.Start))
        {
            if (merged.Count > 0 && w.Start <= merged[^1].Item2)
            {
                merged[^1] = (merged[^1].Item1, Max(merged[^1].Item2, w.End));
            }
            else
            {
                merged.Add((w.Start, w.End));
            }
        }

        return merged;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
