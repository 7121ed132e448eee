using System.Globalization;
using System.Text.RegularExpressions;
using NodaTime;
using NodaTime.Calendars;

namespace SupportPlatform.Reports.Domain;

/// <summary>Weekly (an ISO week, Monday to Sunday) or monthly (a calendar month), in the account's time zone.</summary>
internal enum ReportKind
{
    Weekly = 0,
    Monthly = 1,
}

/// <summary>
/// One report period: local dates <see cref="FirstDay"/> to <see cref="LastDay"/> (inclusive) in <see cref="TimeZone"/>,
/// and the instants [<see cref="From"/>, <see cref="To"/>) that are its local midnights (a DST change inside makes the
/// period 23 or 25 hours longer or shorter than the day count says: that is right). Labels: <c>2026-W44</c>, <c>2026-10</c>.
/// Zones come from NodaTime's bundled tzdb, as for the SLA calendars, so reports agree with the SLA clocks.
/// </summary>
internal sealed partial record ReportPeriod(ReportKind Kind, string Label, string TimeZone, LocalDate FirstDay, LocalDate LastDay, DateTimeOffset From, DateTimeOffset To)
{
    public string KindName => Kind == ReportKind.Weekly ? "weekly" : "monthly";

    public static DateTimeZone Zone(string timeZone) =>
        DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) ?? throw new ReportException(400, "bad-time-zone", $"'{timeZone}' is not an IANA time zone.");

    public static ReportPeriod Week(LocalDate anyDay, string timeZone)
    {
        var monday = anyDay.PlusDays(-(((int)anyDay.DayOfWeek - 1) % 7));
        var year = WeekYearRules.Iso.GetWeekYear(monday);
        var week = WeekYearRules.Iso.GetWeekOfWeekYear(monday);
        return Make(ReportKind.Weekly, $"{year:D4}-W{week:D2}", timeZone, monday, monday.PlusDays(6));
    }

    public static ReportPeriod Month(int year, int month, string timeZone)
    {
        var first = new LocalDate(year, month, 1);
        return Make(ReportKind.Monthly, $"{year:D4}-{month:D2}", timeZone, first, first.PlusMonths(1).PlusDays(-1));
    }

    /// <summary>Parses <paramref name="kind"/> (weekly|monthly) and <paramref name="label"/> (2026-W44 | 2026-10).</summary>
    public static ReportPeriod Parse(string kind, string label, string timeZone)
    {
        switch (kind)
        {
            case "weekly":
                var w = WeekLabel().Match(label ?? "");
                if (!w.Success)
                {
                    throw new ReportException(400, "bad-period", $"'{label}' is not an ISO week: use YYYY-Www, e.g. 2026-W44.");
                }

                var weekYear = int.Parse(w.Groups[1].Value, CultureInfo.InvariantCulture);
                var weekNo = int.Parse(w.Groups[2].Value, CultureInfo.InvariantCulture);
                if (weekYear is < 2000 or > 2200 || weekNo < 1 || weekNo > WeekYearRules.Iso.GetWeeksInWeekYear(weekYear))
                {
                    throw new ReportException(400, "bad-period", $"'{label}' is not an ISO week: week {weekNo} does not exist in {weekYear}.");
                }

                return Week(WeekYearRules.Iso.GetLocalDate(weekYear, weekNo, IsoDayOfWeek.Monday), timeZone);
            case "monthly":
                var m = MonthLabel().Match(label ?? "");
                var year = m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
                var month = m.Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
                if (!m.Success || year is < 2000 or > 2200 || month is < 1 or > 12)
                {
                    throw new ReportException(400, "bad-period", $"'{label}' is not a month: use YYYY-MM, e.g. 2026-10.");
                }

                return Month(year, month, timeZone);
            default:
                throw new ReportException(400, "bad-kind", $"'{kind}' is not a report kind: use weekly or monthly.");
        }
    }

    /// <summary>The period before this one (same kind).</summary>
    public ReportPeriod Previous() => Kind == ReportKind.Weekly
        ? Week(FirstDay.PlusDays(-7), TimeZone)
        : Month(FirstDay.PlusMonths(-1).Year, FirstDay.PlusMonths(-1).Month, TimeZone);

    /// <summary>The period that was last complete at <paramref name="instant"/>.</summary>
    public static ReportPeriod LastComplete(ReportKind kind, DateTimeOffset instant, string timeZone)
    {
        var today = Instant.FromDateTimeOffset(instant).InZone(Zone(timeZone)).Date;
        return kind == ReportKind.Weekly
            ? Week(today.PlusDays(-7), timeZone)
            : Month(today.PlusMonths(-1).Year, today.PlusMonths(-1).Month, timeZone);
    }

    /// <summary>
    /// The weeks of a month, each cut at the month's boundaries: a week that starts in the previous month or ends in the
    /// next keeps only its days in this month (labelled with its ISO week, and its dates).
    /// </summary>
    public IReadOnlyList<(string Label, LocalDate First, LocalDate Last, DateTimeOffset From, DateTimeOffset To)> WeeksInside()
    {
        var zone = Zone(TimeZone);
        var weeks = new List<(string, LocalDate, LocalDate, DateTimeOffset, DateTimeOffset)>();
        var day = FirstDay;
        while (day <= LastDay)
        {
            var week = Week(day, TimeZone);
            var last = week.LastDay < LastDay ? week.LastDay : LastDay;
            weeks.Add((week.Label, day, last, Start(zone, day), Start(zone, last.PlusDays(1))));
            day = last.PlusDays(1);
        }

        return weeks;
    }

    public string Dates => $"{FirstDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} to {LastDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";

    public string Title => Kind == ReportKind.Weekly
        ? $"week {Label} ({Dates})"
        : FirstDay.ToString("MMMM yyyy", CultureInfo.InvariantCulture);

    private static ReportPeriod Make(ReportKind kind, string label, string timeZone, LocalDate first, LocalDate last)
    {
        var zone = Zone(timeZone);
        return new ReportPeriod(kind, label, timeZone, first, last, Start(zone, first), Start(zone, last.PlusDays(1)));
    }

    /// <summary>The instant the local day starts (after a DST gap at midnight, the first instant that exists).</summary>
    public static DateTimeOffset Start(DateTimeZone zone, LocalDate day) => zone.AtStartOfDay(day).ToDateTimeOffset().ToUniversalTime();

    [GeneratedRegex(@"^(\d{4})-W(\d{2})$")]
    private static partial Regex WeekLabel();

    [GeneratedRegex(@"^(\d{4})-(\d{2})$")]
    private static partial Regex MonthLabel();
}

/// <summary>A refusal with an HTTP status and a problem code; the message says what was wrong.</summary>
internal sealed class ReportException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}
