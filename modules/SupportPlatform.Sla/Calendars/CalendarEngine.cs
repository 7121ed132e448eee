using System.Runtime.CompilerServices;
using NodaTime;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Sla.Calendars;

/// <summary>
/// A validated <see cref="BusinessCalendar"/> compiled for arithmetic. All times are 100 ns ticks: instants as UTC
/// ticks since 0001-01-01, wall-clock date-times as local ticks since 0001-01-01, so results are exact.
/// </summary>
/// <remarks>
/// The open set is defined in wall-clock time (weekly intervals minus holiday dates) and mapped back to instants
/// through the zone's intervals of constant offset: within one zone interval, local = instant + offset, so a local
/// range [a, b) is the instant range [a - offset, b - offset) clipped to that zone interval. This needs no special
/// case for skipped or repeated local times, and gives the exact open time on DST nights.
/// </remarks>
internal sealed class CalendarEngine
{
    private const long TicksPerDay = TimeSpan.TicksPerDay;

    // Any UTC offset is within ±18 hours (NodaTime's Offset range), so a local time maps to instants within this slack.
    private const long OffsetSlack = 18 * TimeSpan.TicksPerHour;

    private static readonly ConditionalWeakTable<BusinessCalendar, CalendarEngine> Compiled = [];
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly int LastDayNumber = DateOnly.MaxValue.DayNumber;

    private readonly DateTimeZone zone;

    // Per DayOfWeek (Sunday = 0): the intervals starting that day as (start of day offset, length) in ticks, sorted.
    private readonly (long Start, long Length)[][] intervalsByDay;
    private readonly HashSet<int> holidayDayNumbers;

    private CalendarEngine(DateTimeZone zone, (long, long)[][] intervalsByDay, HashSet<int> holidayDayNumbers)
    {
        this.zone = zone;
        this.intervalsByDay = intervalsByDay;
        this.holidayDayNumbers = holidayDayNumbers;
    }

    /// <summary>The compiled form of <paramref name="calendar"/>, cached per instance (the record is immutable).</summary>
    public static CalendarEngine For(BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return Compiled.GetValue(calendar, static c =>
        {
            var problems = Validate(c, out var zone);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException("The business calendar is not valid: " + string.Join(" ", problems));
            }

            var byDay = new (long, long)[7][];
            for (var day = 0; day < 7; day++)
            {
                byDay[day] = c.OpeningHours
                    .Where(i => (int)i.Day == day)
                    .Select(i => (i.Start.Ticks, i.Length.Ticks))
                    .OrderBy(i => i.Item1)
                    .ToArray();
            }

            // A default (never assigned) holiday array means none, as in Validate.
            var holidays = c.Holidays.IsDefault ? [] : c.Holidays;
            return new CalendarEngine(zone!, byDay, [.. holidays.Select(h => h.Date.DayNumber)]);
        });
    }

    /// <summary>Every problem with <paramref name="calendar"/>, as sentences; the zone when it is known.</summary>
    public static IReadOnlyList<string> Validate(BusinessCalendar calendar, out DateTimeZone? zone)
    {
        var problems = new List<string>();
        zone = null;
        if (string.IsNullOrWhiteSpace(calendar.TimeZoneId))
        {
            problems.Add("The time zone is missing: give an IANA time zone id such as 'Europe/London' or 'America/New_York'.");
        }
        else
        {
            zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(calendar.TimeZoneId);
            if (zone is null)
            {
                problems.Add($"'{calendar.TimeZoneId}' is not a known IANA time zone id (tzdb {DateTimeZoneProviders.Tzdb.VersionId}): "
                    + "use an id such as 'Europe/London' or 'America/New_York'.");
            }
        }

        var intervals = calendar.OpeningHours.IsDefault ? [] : calendar.OpeningHours;
        if (intervals.IsEmpty)
        {
            problems.Add("The calendar is never open: add at least one opening interval, or use a 24/7 calendar.");
        }

        // Weekly positions, Monday 00:00 = 0, to find overlaps including those that wrap from Sunday night into Monday.
        const long week = 7 * TicksPerDay;
        var spans = new List<(long Start, long End, OpeningInterval Interval)>();
        foreach (var interval in intervals)
        {
            if (interval is null)
            {
                problems.Add("An opening interval is missing (null).");
                continue;
            }

            if (!Enum.IsDefined(interval.Day))
            {
                problems.Add($"{(int)interval.Day} is not a day of the week (use Sunday to Saturday).");
                continue;
            }

            if (interval.Start == interval.End && interval.Start != TimeOnly.MinValue)
            {
                problems.Add($"{interval.Day} {interval.Start:HH\\:mm}–{interval.End:HH\\:mm} ends when it starts: "
                    + "give a closing time, or 00:00–00:00 for the whole day.");
                continue;
            }

            var start = ((((int)interval.Day) + 6) % 7 * TicksPerDay) + interval.Start.Ticks;
            var end = start + interval.Length.Ticks;
            if (end > week)
            {
                spans.Add((start, week, interval));
                spans.Add((0, end - week, interval));
            }
            else
            {
                spans.Add((start, end, interval));
            }
        }

        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        var reported = new HashSet<(OpeningInterval, OpeningInterval)>();
        for (var i = 0; i < spans.Count; i++)
        {
            for (var j = i + 1; j < spans.Count && spans[j].Start < spans[i].End; j++)
            {
                var (a, b) = (spans[i].Interval, spans[j].Interval);
                if (!ReferenceEquals(a, b) && reported.Add((a, b)) && !reported.Contains((b, a)))
                {
                    problems.Add($"Opening intervals {a} and {b} overlap: merge them or move one.");
                }
            }
        }

        var holidays = calendar.Holidays.IsDefault ? [] : calendar.Holidays;
        var seen = new Dictionary<DateOnly, string>();
        foreach (var holiday in holidays)
        {
            if (holiday is null)
            {
                problems.Add("A holiday is missing (null).");
                continue;
            }

            if (string.IsNullOrWhiteSpace(holiday.Name))
            {
                problems.Add($"The holiday on {holiday.Date:yyyy-MM-dd} has no name: give it one, e.g. 'Christmas Day'.");
            }

            if (!seen.TryAdd(holiday.Date, holiday.Name))
            {
                problems.Add($"{holiday.Date:yyyy-MM-dd} is listed twice as a holiday ('{seen[holiday.Date]}' and '{holiday.Name}'): keep one.");
            }
        }

        return problems;
    }

    public DateTimeOffset AddBusinessTime(DateTimeOffset start, TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "Business time to add cannot be negative.");
        }

        var from = start.UtcTicks;
        if (duration == TimeSpan.Zero)
        {
            return new DateTimeOffset(from, TimeSpan.Zero);
        }

        var remaining = duration.Ticks;
        var cursor = new Cursor(this, from);
        while (true)
        {
            var (s, e) = cursor.Next();
            var length = e - s;
            if (remaining <= length)
            {
                return new DateTimeOffset(s + remaining, TimeSpan.Zero);
            }

            remaining -= length;
        }
    }

    public TimeSpan BusinessTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        if (to < from)
        {
            return -BusinessTimeBetween(to, from);
        }

        var end = to.UtcTicks;
        var total = 0L;
        var cursor = new Cursor(this, from.UtcTicks);
        while (true)
        {
            var (s, e) = cursor.Next();
            if (s >= end)
            {
                return new TimeSpan(total);
            }

            total += Math.Min(e, end) - s;
        }
    }

    public bool IsOpen(DateTimeOffset instant) => new Cursor(this, instant.UtcTicks).Next().Start == instant.UtcTicks;

    public DateTimeOffset NextOpening(DateTimeOffset instant) => new(new Cursor(this, instant.UtcTicks).Next().Start, TimeSpan.Zero);

    private static Instant ToInstant(long utcTicks) => Instant.FromUnixTimeTicks(utcTicks - UnixEpochTicks);

    private static long ToTicks(Instant instant) => instant.ToUnixTimeTicks() + UnixEpochTicks;

    /// <summary>
    /// Walks the open instant ranges at or after an instant, in order, each clipped to start no earlier than it.
    /// Ranges can be adjacent (split at midnight or at an offset change); callers only sum and compare, so that is harmless.
    /// </summary>
    private sealed class Cursor
    {
        private readonly CalendarEngine engine;
        private readonly long from;

        // Ranges generated but not yet returned, sorted by start. A fall-back night can map a later local range to an
        // earlier instant than the repeated part of the previous one, so ranges are only released below a watermark.
        private readonly List<(long Start, long End)> pending = new(8);
        private int nextDay;
        private long watermark;

        public Cursor(CalendarEngine engine, long fromUtcTicks)
        {
            this.engine = engine;
            from = fromUtcTicks;
            var localTicks = fromUtcTicks + engine.zone.GetUtcOffset(ToInstant(fromUtcTicks)).Ticks;

            // Intervals last at most 24 hours, so one starting three local days earlier cannot reach this instant.
            nextDay = (int)(localTicks / TicksPerDay) - 3;
            watermark = long.MinValue;
        }

        public (long Start, long End) Next()
        {
            while (true)
            {
                if (pending.Count > 0 && pending[0].Start < watermark)
                {
                    var (s, e) = pending[0];
                    pending.RemoveAt(0);
                    if (e > from)
                    {
                        return (Math.Max(s, from), e);
                    }

                    continue;
                }

                if (nextDay > LastDayNumber)
                {
                    throw new InvalidOperationException("The business calendar has no open time left before the year 10000.");
                }

                GenerateDay(nextDay);
                nextDay++;

                // Every range of a later local day starts at local ticks >= nextDay * TicksPerDay, so at an instant after this.
                watermark = (nextDay * TicksPerDay) - OffsetSlack;
            }
        }

        private void GenerateDay(int dayNumber)
        {
            if (dayNumber < 0)
            {
                return;
            }

            var dayStart = dayNumber * TicksPerDay;
            var weekday = (dayNumber + 1) % 7; // DayNumber 0 is Monday, 1 January 0001; DayOfWeek.Sunday is 0.
            foreach (var (start, length) in engine.intervalsByDay[weekday])
            {
                var localStart = dayStart + start;
                var localEnd = localStart + length;

                // Holidays close whole local days: cut the range at each midnight it crosses into a holiday.
                var runStart = localStart;
                for (var day = dayNumber; day * TicksPerDay < localEnd; day++)
                {
                    var segmentStart = Math.Max(localStart, day * TicksPerDay);
                    if (engine.holidayDayNumbers.Contains(day))
                    {
                        MapLocalRange(runStart, segmentStart);
                        runStart = Math.Min(localEnd, (day + 1) * TicksPerDay);
                    }
                }

                MapLocalRange(runStart, localEnd);
            }
        }

        private void MapLocalRange(long localStart, long localEnd)
        {
            if (localEnd <= localStart)
            {
                return;
            }

            var probe = localStart - OffsetSlack;
            while (true)
            {
                var interval = engine.zone.GetZoneInterval(ToInstant(probe));
                var zoneStart = interval.HasStart ? ToTicks(interval.Start) : long.MinValue;
                var zoneEnd = interval.HasEnd ? ToTicks(interval.End) : long.MaxValue;
                var offset = interval.WallOffset.Ticks;
                var s = Math.Max(localStart - offset, zoneStart);
                var e = Math.Min(localEnd - offset, zoneEnd);
                if (e > s)
                {
                    Insert(s, e);
                }

                if (zoneEnd >= localEnd + OffsetSlack)
                {
                    return;
                }

                probe = zoneEnd;
            }
        }

        private void Insert(long start, long end)
        {
            var i = pending.Count;
            while (i > 0 && pending[i - 1].Start > start)
            {
                i--;
            }

            pending.Insert(i, (start, end));
        }
    }
}
