using NodaTime;
using NodaTime.TimeZones;
using SupportPlatform.Notifications.Contracts;

namespace SupportPlatform.Notifications.OnCall;

/// <summary>
/// Who a schedule puts on call at an instant. Hand-offs are wall-clock times in the schedule's zone, so they stay at
/// 09:00 local across DST changes; a hand-off time the clocks skip happens when they resume, a repeated one at its
/// first occurrence (NodaTime's lenient resolver). Zones come from NodaTime's bundled tzdb, as in the SLA calendars.
/// </summary>
internal static class RotationMath
{
    public static DateTimeZone Zone(string timeZone) =>
        DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) ?? throw new ArgumentException($"'{timeZone}' is not a known IANA time zone id.");

    /// <summary>The instant of the hand-off at local <paramref name="date"/> and <paramref name="time"/>.</summary>
    public static DateTimeOffset Handoff(DateTimeZone zone, LocalDate date, TimeOnly time) =>
        zone.ResolveLocal(date.At(new LocalTime(time.Hour, time.Minute, time.Second)), Resolvers.LenientResolver).ToDateTimeOffset().ToUniversalTime();

    /// <summary>The user a layer puts on call at <paramref name="at"/>, with their shift; null before the layer starts or outside its daily window.</summary>
    public static (string User, DateTimeOffset Start, DateTimeOffset End)? InLayer(RotationLayer layer, DateTimeZone zone, DateTimeOffset at)
    {
        if (layer.Users.Count == 0)
        {
            return null;
        }

        var instant = Instant.FromDateTimeOffset(at);
        var local = instant.InZone(zone).LocalDateTime;
        if (!InWindow(layer, local.TimeOfDay))
        {
            return null;
        }

        var start = LocalDate.FromDateOnly(layer.Start);
        var period = layer.Handoff == HandoffKind.Daily ? 1 : 7;
        var days = Period.Between(start, local.Date, PeriodUnits.Days).Days;
        var k = (int)FloorDiv(days, period);
        var shiftStart = Handoff(zone, start.PlusDays(k * period), layer.HandoffTime);
        if (at < shiftStart)
        {
            k--;
            shiftStart = Handoff(zone, start.PlusDays(k * period), layer.HandoffTime);
        }

        if (k < 0)
        {
            return null;
        }

        var shiftEnd = Handoff(zone, start.PlusDays((k + 1) * period), layer.HandoffTime);
        return (layer.Users[(int)(k % layer.Users.Count)], shiftStart, shiftEnd);
    }

    /// <summary>Who the schedule puts on call at <paramref name="at"/>: an override first (the newest), then the highest layer with someone.</summary>
    public static OnCallAnswer Who(OnCallSchedule schedule, IReadOnlyList<OnCallOverride> overrides, DateTimeOffset at)
    {
        for (var i = overrides.Count - 1; i >= 0; i--)
        {
            var o = overrides[i];
            if (o.StartsAt <= at && at < o.EndsAt)
            {
                return new OnCallAnswer(schedule.Id, schedule.Team, at, o.UserId, "override", o.StartsAt, o.EndsAt);
            }
        }

        var zone = Zone(schedule.TimeZone);
        for (var i = schedule.Layers.Count - 1; i >= 0; i--)
        {
            if (InLayer(schedule.Layers[i], zone, at) is { } found)
            {
                return new OnCallAnswer(schedule.Id, schedule.Team, at, found.User, "layer:" + schedule.Layers[i].Name, found.Start, found.End);
            }
        }

        return new OnCallAnswer(schedule.Id, schedule.Team, at, null, null, null, null);
    }

    /// <summary>Every problem with <paramref name="schedule"/>, as sentences; empty when it is valid.</summary>
    public static IReadOnlyList<string> Validate(OnCallSchedule schedule)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(schedule.Team))
        {
            problems.Add("team: name the team this schedule covers (e.g. \"L1\").");
        }

        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(schedule.TimeZone ?? "") is null)
        {
            problems.Add($"timeZone: '{schedule.TimeZone}' is not a known IANA time zone id (e.g. \"Europe/London\").");
        }

        if (schedule.Layers is null || schedule.Layers.Count == 0)
        {
            problems.Add("layers: add at least one rotation layer.");
        }
        else
        {
            for (var i = 0; i < schedule.Layers.Count; i++)
            {
                var layer = schedule.Layers[i];
                if (layer.Users is null || layer.Users.Count == 0 || layer.Users.Any(string.IsNullOrWhiteSpace))
                {
                    problems.Add($"layers[{i}].users: list the staff user ids who take turns.");
                }

                if (string.IsNullOrWhiteSpace(layer.Name))
                {
                    problems.Add($"layers[{i}].name: give the layer a name.");
                }

                if ((layer.ActiveFrom is null) != (layer.ActiveTo is null) || (layer.ActiveFrom is { } f && f == layer.ActiveTo))
                {
                    problems.Add($"layers[{i}]: set both activeFrom and activeTo (different times), or neither for all day.");
                }
            }
        }

        if (schedule.BusinessHours is { } calendar)
        {
            problems.AddRange(calendar.Validate().Select(p => "businessHours: " + p));
        }

        return problems;
    }

    private static bool InWindow(RotationLayer layer, LocalTime time)
    {
        if (layer.ActiveFrom is not { } from || layer.ActiveTo is not { } to)
        {
            return true;
        }

        var t = TimeOnly.FromTimeSpan(new TimeSpan(time.TickOfDay));
        return from < to ? t >= from && t < to : t >= from || t < to;
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
