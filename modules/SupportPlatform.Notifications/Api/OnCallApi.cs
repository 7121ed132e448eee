using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.Security;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Notifications.OnCall;

namespace SupportPlatform.Notifications.Api;

/// <summary><c>/api/oncall</c>: schedules, overrides, who is on call, coverage gaps.</summary>
internal static class OnCallApi
{
    public static void MapOnCallApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/oncall").WithTags("On call");
        group.MapGet("/schedules", List).WithName("ListOnCallSchedules").RequireAuthorization(PlatformPolicies.Staff).WithSummary("The on-call schedules (filter: team).");
        group.MapGet("/schedules/{id}", Get).WithName("GetOnCallSchedule").RequireAuthorization(PlatformPolicies.Staff).WithSummary("One schedule with its overrides from now on.");
        group.MapPut("/schedules/{id}", Put).WithName("PutOnCallSchedule").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("Creates or replaces a team's schedule: IANA time zone, rotation layers (daily or weekly hand-off at a local time), optional business hours.");
        group.MapDelete("/schedules/{id}", Delete).WithName("DeleteOnCallSchedule").RequireAuthorization(PlatformPolicies.Admin).WithSummary("Deletes a schedule and its overrides.");
        group.MapPost("/schedules/{id}/overrides", AddOverride).WithName("AddOnCallOverride").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("Puts a user on call instead of the rotation for a time (a holiday cover or a swap).");
        group.MapDelete("/schedules/{id}/overrides/{overrideId}", DeleteOverride).WithName("DeleteOnCallOverride").RequireAuthorization(PlatformPolicies.Senior).WithSummary("Removes an override.");
        group.MapGet("/now", Now).WithName("WhoIsOnCall").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Who is on call for each schedule (filter: team) now, or at a given instant (at=ISO 8601) for reports and audit.");
        group.MapGet("/gaps", Gaps).WithName("ListCoverageGaps").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("Times in the next days (default 14, at most 62) when a team has nobody on call outside its business hours; accountId takes that account's support calendar.");
    }

    internal sealed record OverrideBody(string? UserId, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, string? Reason);

    private static async Task<IResult> List(OnCallStore store, string? team, CancellationToken cancellationToken) => Results.Ok(await store.ListAsync(team, cancellationToken));

    private static async Task<IResult> Get(string id, OnCallStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } schedule)
        {
            return ApiErrors.NotFound($"There is no on-call schedule '{id}'.");
        }

        var now = clock.GetUtcNow();
        return Results.Ok(new { schedule, overrides = await store.OverridesAsync(id, now, DateTimeOffset.MaxValue.AddYears(-1), cancellationToken) });
    }

    private static async Task<IResult> Put(string id, OnCallSchedule body, OnCallStore store, CancellationToken cancellationToken)
    {
        if (!ApiErrors.ValidId(id))
        {
            return ApiErrors.Invalid($"'{id}' is not a valid schedule id: use up to 64 letters, digits, dashes, dots or underscores.");
        }

        var schedule = body with { Id = id, Team = body.Team?.Trim() ?? "" };
        var problems = RotationMath.Validate(schedule);
        if (problems.Count > 0)
        {
            return ApiErrors.Invalid(problems);
        }

        await store.PutAsync(schedule, cancellationToken);
        return Results.Ok(schedule);
    }

    private static async Task<IResult> Delete(string id, OnCallStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(id, cancellationToken) ? Results.NoContent() : ApiErrors.NotFound($"There is no on-call schedule '{id}'.");

    private static async Task<IResult> AddOverride(string id, OverrideBody body, OnCallStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is null)
        {
            return ApiErrors.NotFound($"There is no on-call schedule '{id}'.");
        }

        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(body.UserId))
        {
            problems.Add("userId: name the staff user who covers.");
        }

        if (body.StartsAt is not { } start || body.EndsAt is not { } end || end <= start)
        {
            problems.Add("startsAt and endsAt: give both as ISO 8601 instants, endsAt after startsAt.");
        }
        else if (end - start > TimeSpan.FromDays(366))
        {
            problems.Add("An override may last at most 366 days.");
        }

        if (problems.Count > 0)
        {
            return ApiErrors.Invalid(problems);
        }

        return Results.Ok(await store.AddOverrideAsync(id, body.UserId!.Trim(), body.StartsAt!.Value, body.EndsAt!.Value, body.Reason, cancellationToken));
    }

    private static async Task<IResult> DeleteOverride(string id, string overrideId, OnCallStore store, CancellationToken cancellationToken) =>
        await store.DeleteOverrideAsync(id, overrideId, cancellationToken) ? Results.NoContent() : ApiErrors.NotFound($"Schedule '{id}' has no override '{overrideId}'.");

    private static async Task<IResult> Now(OnCallStore store, TimeProvider clock, string? team, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        var when = at ?? clock.GetUtcNow();
        var answers = new List<OnCallAnswer>();
        foreach (var schedule in await store.ListAsync(team, cancellationToken))
        {
            answers.Add(await store.WhoAsync(schedule, when, cancellationToken));
        }

        return Results.Ok(answers);
    }

    private static async Task<IResult> Gaps(OnCallStore store, TimeProvider clock, IClusterClient cluster, string? team, int? days, string? accountId, CancellationToken cancellationToken)
    {
        var span = days ?? 14;
        if (span is < 1 or > 62)
        {
            return ApiErrors.Invalid($"days: {span} is out of range; ask for 1 to 62 days.");
        }

        Sla.Contracts.BusinessCalendar? calendar = null;
        if (accountId is not null)
        {
            if (!AccountKeys.IsValidId(accountId) || await cluster.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId)).Get() is not { } account)
            {
                return ApiErrors.NotFound($"There is no account '{accountId}'.");
            }

            calendar = account.Contract.Calendar;
        }

        var now = clock.GetUtcNow();
        var teams = team is not null ? [team] : (await store.ListAsync(null, cancellationToken)).Select(s => s.Team).Distinct(StringComparer.Ordinal).ToList();
        var gaps = new List<CoverageGap>();
        foreach (var t in teams)
        {
            gaps.AddRange(await store.GapsAsync(t, now, now.AddDays(span), calendar, cancellationToken));
        }

        return Results.Ok(gaps);
    }
}
