using System.Globalization;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Sla.Tests;

/// <summary>Calendars and instants used across the tests.</summary>
internal static class Calendars
{
    public static readonly TimeOnly Nine = new(9, 0);
    public static readonly TimeOnly Five = new(17, 0);

    /// <summary>Monday to Friday 09:00–17:00 in <paramref name="zone"/>.</summary>
    public static BusinessCalendar NineToFive(string zone, params Holiday[] holidays) => BusinessCalendar.Weekdays(zone, Nine, Five, holidays);

    /// <summary>Open every day of the week from <paramref name="start"/> to <paramref name="end"/> (end may be past midnight).</summary>
    public static BusinessCalendar Daily(string zone, TimeOnly start, TimeOnly end) =>
        new(zone, [.. Enum.GetValues<DayOfWeek>().Select(d => new OpeningInterval(d, start, end))], []);

    /// <summary>An instant from an ISO 8601 string with an offset, e.g. 2026-03-27T16:00+00:00.</summary>
    public static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.None);

    public static TimeOnly Time(string hhmm) => TimeOnly.ParseExact(hhmm, "HH:mm", CultureInfo.InvariantCulture);
}
