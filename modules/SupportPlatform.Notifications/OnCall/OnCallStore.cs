using Dapper;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Notifications.OnCall;

/// <summary>Schedules and overrides (<c>sp_oncall_schedules</c>, <c>sp_oncall_overrides</c>), and the answers computed from them.</summary>
internal sealed class OnCallStore(IDatabase database, TimeProvider clock) : IOnCallDirectory
{
    public async Task<IReadOnlyList<OnCallSchedule>> ListAsync(string? team, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT definition FROM sp_oncall_schedules WHERE (@team IS NULL OR team = @team) ORDER BY team, id", new { team }, cancellationToken: cancellationToken));
        return [.. rows.Select(NotificationJson.Read<OnCallSchedule>)];
    }

    public async Task<OnCallSchedule?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var json = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT definition FROM sp_oncall_schedules WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return json is null ? null : NotificationJson.Read<OnCallSchedule>(json);
    }

    public async Task PutAsync(OnCallSchedule schedule, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_oncall_schedules (id, team, definition, updated_at_ms) VALUES (@id, @team, @definition, @now)
            ON CONFLICT (id) DO UPDATE SET team = excluded.team, definition = excluded.definition, updated_at_ms = excluded.updated_at_ms
            """,
            new { id = schedule.Id, team = schedule.Team, definition = NotificationJson.Write(schedule), now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sp_oncall_overrides WHERE schedule_id = @id", new { id }, cancellationToken: cancellationToken));
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sp_oncall_schedules WHERE id = @id", new { id }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<OnCallOverride> AddOverrideAsync(string scheduleId, string userId, DateTimeOffset startsAt, DateTimeOffset endsAt, string? reason, CancellationToken cancellationToken)
    {
        var created = new OnCallOverride("o-" + Guid.NewGuid().ToString("N")[..12], scheduleId, userId, startsAt, endsAt, reason);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_oncall_overrides (id, schedule_id, user_id, starts_at_ms, ends_at_ms, reason, created_at_ms)
            VALUES (@id, @schedule, @user, @starts, @ends, @reason, @now)
            """,
            new
            {
                id = created.Id, schedule = scheduleId, user = userId, starts = startsAt.ToUnixTimeMilliseconds(), ends = endsAt.ToUnixTimeMilliseconds(),
                reason, now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            },
            cancellationToken: cancellationToken));
        return created;
    }

    public async Task<bool> DeleteOverrideAsync(string scheduleId, string overrideId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sp_oncall_overrides WHERE id = @overrideId AND schedule_id = @scheduleId", new { scheduleId, overrideId }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>The overrides of a schedule that overlap [from, to), oldest first (newer ones win).</summary>
    public async Task<IReadOnlyList<OnCallOverride>> OverridesAsync(string scheduleId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string UserId, long StartsAt, long EndsAt, string? Reason)>(new CommandDefinition(
            """
            SELECT id, user_id, starts_at_ms, ends_at_ms, reason FROM sp_oncall_overrides
            WHERE schedule_id = @scheduleId AND starts_at_ms < @to AND ends_at_ms > @from ORDER BY created_at_ms, id
            """,
            new { scheduleId, from = from.ToUnixTimeMilliseconds(), to = to.ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new OnCallOverride(r.Id, scheduleId, r.UserId, DateTimeOffset.FromUnixTimeMilliseconds(r.StartsAt), DateTimeOffset.FromUnixTimeMilliseconds(r.EndsAt), r.Reason))];
    }

    public async Task<OnCallAnswer> WhoAsync(OnCallSchedule schedule, DateTimeOffset at, CancellationToken cancellationToken) =>
        RotationMath.Who(schedule, await OverridesAsync(schedule.Id, at, at.AddTicks(1), cancellationToken), at);

    public async Task<IReadOnlyList<OnCallAnswer>> WhoIsOnCallAsync(string team, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var answers = new List<OnCallAnswer>();
        foreach (var schedule in await ListAsync(team, cancellationToken))
        {
            answers.Add(await WhoAsync(schedule, at, cancellationToken));
        }

        return answers;
    }

    public async Task<string?> PhoneOfAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT phone FROM sp_notification_profiles WHERE user_id = @userId", new { userId }, cancellationToken: cancellationToken));
    }

    public async Task<bool> IsOnCallAsync(string userId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        foreach (var schedule in await ListAsync(null, cancellationToken))
        {
            if ((await WhoAsync(schedule, at, cancellationToken)).UserId == userId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The intervals in [from, to) when no schedule of <paramref name="team"/> has anyone on call and the support
    /// calendar is closed, found minute by minute (hand-offs and windows are whole minutes).
    /// </summary>
    public async Task<IReadOnlyList<CoverageGap>> GapsAsync(string team, DateTimeOffset from, DateTimeOffset to, Sla.Contracts.BusinessCalendar? calendar, CancellationToken cancellationToken)
    {
        var schedules = await ListAsync(team, cancellationToken);
        var withOverrides = new List<(OnCallSchedule, IReadOnlyList<OnCallOverride>)>();
        foreach (var schedule in schedules)
        {
            withOverrides.Add((schedule, await OverridesAsync(schedule.Id, from, to, cancellationToken)));
        }

        calendar ??= schedules.Select(s => s.BusinessHours).FirstOrDefault(c => c is not null);
        var gaps = new List<CoverageGap>();
        DateTimeOffset? gapStart = null;
        var start = new DateTimeOffset(from.UtcTicks - (from.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        for (var t = start; t < to; t = t.AddMinutes(1))
        {
            var covered = (calendar?.IsOpen(t) ?? false) || withOverrides.Any(s => RotationMath.Who(s.Item1, s.Item2, t).UserId is not null);
            if (!covered && gapStart is null)
            {
                gapStart = t;
            }
            else if (covered && gapStart is { } open)
            {
                gaps.Add(new CoverageGap(team, open, t));
                gapStart = null;
            }
        }

        if (gapStart is { } last)
        {
            gaps.Add(new CoverageGap(team, last, to));
        }

        return gaps;
    }
}

/// <summary>A time when nobody covers a team: the support calendar is closed and no one is on call.</summary>
internal sealed record CoverageGap(string Team, DateTimeOffset From, DateTimeOffset To);
