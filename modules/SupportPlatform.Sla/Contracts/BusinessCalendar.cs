using System.Collections.Immutable;
using SupportPlatform.Sla.Calendars;

namespace SupportPlatform.Sla.Contracts;

/// <summary>
/// When an account is served: an IANA time zone, weekly opening hours in that zone's wall-clock time, and
/// holidays. Stored in grain state; immutable.
/// </summary>
/// <remarks>
/// <para>
/// The calendar is open at an instant when the wall-clock time of <see cref="TimeZoneId"/> at that instant lies
/// inside an opening interval and the wall-clock date is not a holiday. Everything else follows from that
/// definition: a local 01:00–03:00 interval has one real hour on a spring-forward night that skips 02:00–03:00,
/// and three on a fall-back night that repeats 01:00–02:00 (the repeated hour is inside the interval both times).
/// </para>
/// <para>
/// Time zones come from NodaTime's bundled tzdb rather than the operating system's: every silo of a cluster,
/// every test machine and every year-old backup computes the same deadlines, whatever tzdata package (or Windows
/// ICU build) the server has. The cost is that a tz rule change ships with a NodaTime update.
/// </para>
/// <para>
/// The arithmetic is exact to the tick (100 ns): <c>BusinessTimeBetween(s, AddBusinessTime(s, d)) == d</c>.
/// An invalid calendar (see <see cref="Validate"/>) throws <see cref="InvalidOperationException"/> from every operation.
/// </para>
/// </remarks>
/// <param name="TimeZoneId">IANA time zone id, e.g. <c>Europe/London</c>.</param>
/// <param name="OpeningHours">Weekly opening intervals, in the zone's wall-clock time; they may not overlap.</param>
/// <param name="Holidays">Local dates on which the calendar is closed all day (00:00–24:00).</param>
[GenerateSerializer, Immutable, Alias("sp.sla.business-calendar")]
public sealed record BusinessCalendar(
    [property: Id(0)] string TimeZoneId,
    [property: Id(1)] ImmutableArray<OpeningInterval> OpeningHours,
    [property: Id(2)] ImmutableArray<Holiday> Holidays)
{
    /// <summary>Open every instant: what a 24/7 SLA target runs on (UTC, no holidays, so no DST either).</summary>
    public static BusinessCalendar AlwaysOpen { get; } = TwentyFourSeven("Etc/UTC");

    /// <summary>A calendar open all day, every day, in <paramref name="timeZoneId"/>, with no holidays.</summary>
    public static BusinessCalendar TwentyFourSeven(string timeZoneId) =>
        new(timeZoneId, [.. Enum.GetValues<DayOfWeek>().Select(OpeningInterval.AllDay)], []);

    /// <summary>Monday to Friday from <paramref name="opens"/> to <paramref name="closes"/> (00:00 closes at midnight).</summary>
    public static BusinessCalendar Weekdays(string timeZoneId, TimeOnly opens, TimeOnly closes, params IEnumerable<Holiday> holidays) =>
        new(
            timeZoneId,
            [.. new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
                .Select(d => new OpeningInterval(d, opens, closes))],
            [.. holidays]);

    /// <summary>Every problem with this calendar, each as a sentence an administrator can act on; empty when valid.</summary>
    public IReadOnlyList<string> Validate() => CalendarEngine.Validate(this, out _);

    /// <summary>
    /// The instant at which <paramref name="duration"/> of open time has elapsed after <paramref name="start"/>.
    /// Closed time before the next opening does not count. A duration that runs out exactly when the calendar
    /// closes answers the closing instant. A zero duration answers <paramref name="start"/>. The result is in UTC.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative.</exception>
    public DateTimeOffset AddBusinessTime(DateTimeOffset start, TimeSpan duration) =>
        CalendarEngine.For(this).AddBusinessTime(start, duration);

    /// <summary>
    /// Open time between two instants. Antisymmetric: when <paramref name="to"/> is before <paramref name="from"/>
    /// the answer is the negated open time between <paramref name="to"/> and <paramref name="from"/>.
    /// </summary>
    public TimeSpan BusinessTimeBetween(DateTimeOffset from, DateTimeOffset to) =>
        CalendarEngine.For(this).BusinessTimeBetween(from, to);

    /// <summary>Whether the calendar is open at <paramref name="instant"/> (intervals include their start, exclude their end).</summary>
    public bool IsOpen(DateTimeOffset instant) => CalendarEngine.For(this).IsOpen(instant);

    /// <summary><paramref name="instant"/> itself when the calendar is open then, else the next instant it opens (UTC).</summary>
    public DateTimeOffset NextOpening(DateTimeOffset instant) => CalendarEngine.For(this).NextOpening(instant);

    /// <inheritdoc />
    public bool Equals(BusinessCalendar? other) =>
        other is not null
        && string.Equals(TimeZoneId, other.TimeZoneId, StringComparison.Ordinal)
        && OpeningHours.AsSpan().SequenceEqual(other.OpeningHours.AsSpan())
        && Holidays.AsSpan().SequenceEqual(other.Holidays.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(TimeZoneId, OpeningHours.Length, Holidays.Length);
}

/// <summary>
/// One weekly opening interval in the calendar's wall-clock time. When <see cref="End"/> is not after
/// <see cref="Start"/> the interval runs past midnight and ends on the next day: Friday 22:00–06:00 closes on
/// Saturday at 06:00, Monday 09:00–00:00 closes at 24:00, and 00:00–00:00 is the whole day. Any other interval
/// that ends when it starts is invalid (it would be ambiguous between nothing and 24 hours).
/// </summary>
/// <param name="Day">The day the interval starts on.</param>
/// <param name="Start">Local opening time.</param>
/// <param name="End">Local closing time, on <paramref name="Day"/> or, when not after <paramref name="Start"/>, on the next day.</param>
[GenerateSerializer, Immutable, Alias("sp.sla.opening-interval")]
public sealed record OpeningInterval(
    [property: Id(0)] DayOfWeek Day,
    [property: Id(1)] TimeOnly Start,
    [property: Id(2)] TimeOnly End)
{
    /// <summary>00:00–24:00 on <paramref name="day"/>.</summary>
    public static OpeningInterval AllDay(DayOfWeek day) => new(day, TimeOnly.MinValue, TimeOnly.MinValue);

    /// <summary>Whether the interval closes on the next day (including "until 24:00").</summary>
    public bool RunsPastMidnight => End <= Start;

    /// <summary>Nominal (wall-clock) length, between a tick and 24 hours; DST can make the real length differ.</summary>
    public TimeSpan Length => End > Start ? End - Start : TimeSpan.FromDays(1) - (Start - End);

    /// <summary>"Friday 22:00–Saturday 06:00", "Monday 09:00–24:00".</summary>
    public override string ToString()
    {
        var start = $"{Day} {Start:HH\\:mm}";
        if (!RunsPastMidnight)
        {
            return $"{start}–{End:HH\\:mm}";
        }

        return End == TimeOnly.MinValue ? $"{start}–24:00" : $"{start}–{(DayOfWeek)(((int)Day + 1) % 7)} {End:HH\\:mm}";
    }
}

/// <summary>A local date on which the calendar is closed all day.</summary>
/// <param name="Date">The date in the calendar's time zone.</param>
/// <param name="Name">What it is, e.g. "Christmas Day".</param>
[GenerateSerializer, Immutable, Alias("sp.sla.holiday")]
public sealed record Holiday(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] string Name);
