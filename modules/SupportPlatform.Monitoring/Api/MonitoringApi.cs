using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.Security;
using SupportPlatform.Monitoring.Grains;
using SupportPlatform.Monitoring.Persistence;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Monitoring.Api;

/// <summary>A maintenance window to schedule.</summary>
internal sealed record MaintenanceRequest(DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, string? Reason);

/// <summary>
/// The monitoring REST API: <c>/api/monitoring</c>. Senior staff define systems and rules; staff read everything,
/// schedule maintenance and submit alerts; a client user reads their own account's systems, incidents and uptime.
/// </summary>
internal static class MonitoringApi
{
    private const int MaxLimit = 500;

    public static RouteGroupBuilder MapMonitoringApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/monitoring").WithTags("Monitoring");
        group.MapPut("/systems/{id}", Define).WithName("DefineMonitoredSystem").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("Creates or updates a monitored system: its account, name, the host names sources use for it, and its own alert rules.");
        group.MapGet("/systems", ListSystems).WithName("ListMonitoredSystems").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Monitored systems with their current state (a client user sees their own account's).");
        group.MapGet("/systems/{id}", GetSystem).WithName("GetMonitoredSystem").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("One system: every check with its state and last output, the open incident, maintenance.");
        group.MapGet("/systems/{id}/history", History).WithName("MonitoredSystemHistory").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("State changes of the system's checks, newest first ('*' is the system's availability).");
        group.MapGet("/systems/{id}/alerts", Alerts).WithName("MonitoredSystemAlerts").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("The system's alerts as received, newest first.");
        group.MapGet("/systems/{id}/uptime", GetUptime).WithName("MonitoredSystemUptime").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Uptime per day, week or month (UTC), and over the last 7, 30 and 90 days, with maintenance excluded.");
        group.MapPost("/systems/{id}/maintenance", AddMaintenance).WithName("ScheduleMaintenance").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Schedules maintenance: alerts open no tickets then, and the time does not count against uptime.");
        group.MapGet("/systems/{id}/maintenance", ListMaintenance).WithName("ListMaintenance").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Maintenance windows of the last 90 days and to come.");
        group.MapPut("/accounts/{accountId}/rules", PutRules).WithName("DefineAlertRules").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("The account's alert rules: which states open tickets, priorities, quiet hours, resolve on recovery, groups, flapping.");
        group.MapGet("/accounts/{accountId}/rules", GetRules).WithName("GetAlertRules").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("The account's alert rules (the defaults when none were set).");
        group.MapGet("/incidents", Incidents).WithName("ListIncidents").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Incidents, newest first (status=open for the wall view); a client user sees their own account's.");
        group.MapGet("/alerts/unmapped", Unmapped).WithName("ListUnmappedAlerts").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Alerts whose host name no system claims yet; defining a system with that host name adopts them.");
        group.MapDashboardApi();
        group.MapPost("/alerts", Submit).WithName("SubmitAlerts").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Submits normalised alerts (a JSON array) from a script or custom source; idempotent per source, dedup key, state and time.");
        return group;
    }

    private static async Task<IResult> Define(string id, DefineSystem definition, IClusterClient client, HttpContext http)
    {
        if (!SystemKeys.IsValidId(id))
        {
            return Problem(400, "invalid-id", "A system id is 1 to 64 lowercase letters, digits, '-' and '.', e.g. 'acme-mail'.");
        }

        // The system's own rules name staff to notify just as the account's do: checked against the user directory.
        if (await UnknownStaffAsync(definition.Rules?.Notify, http) is { Count: > 0 } unknown)
        {
            return Problem(422, "invalid-system", $"rules: {NotifyProblem(unknown)}");
        }

        return await Run(async () => Results.Ok(await client.GetGrain<IMonitoredSystemGrain>(SystemKeys.Grain(id)).Define(definition)));
    }

    private static async Task<IResult> ListSystems(string? accountId, HttpContext http, MonitoringQueries queries) =>
        Results.Ok(await queries.SystemsAsync(http.User.ClientAccountId() ?? accountId, http.RequestAborted));

    private static async Task<IResult> GetSystem(string id, HttpContext http, IClusterClient client) =>
        await Visible(id, http, client) is { } system ? Results.Ok(system) : NotFound(id);

    private static async Task<IResult> History(string id, int? limit, HttpContext http, IClusterClient client, MonitoringQueries queries) =>
        await Visible(id, http, client) is null ? NotFound(id) : Results.Ok(await queries.HistoryAsync(id, Limit(limit), http.RequestAborted));

    private static async Task<IResult> Alerts(string id, int? limit, HttpContext http, IClusterClient client, MonitoringQueries queries) =>
        await Visible(id, http, client) is null ? NotFound(id) : Results.Ok(await queries.AlertsAsync(id, Limit(limit), http.RequestAborted));

    private static async Task<IResult> GetUptime(string id, string? period, int? count, HttpContext http, IClusterClient client, MonitoringQueries queries, TimeProvider clock)
    {
        if (await Visible(id, http, client) is null)
        {
            return NotFound(id);
        }

        period ??= "day";
        var n = count ?? (period == "day" ? 7 : period == "week" ? 4 : 3);
        if (period is not ("day" or "week" or "month") || n is < 1 or > 400)
        {
            return Problem(400, "invalid-period", "period is day, week or month, and count between 1 and 400.");
        }

        var now = clock.GetUtcNow();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var periods = new List<(DateTimeOffset, DateTimeOffset)>();
        var start = period switch
        {
            "day" => today,
            "week" => today.AddDays(-(((int)today.DayOfWeek + 6) % 7)),
            _ => new DateTimeOffset(today.Year, today.Month, 1, 0, 0, 0, TimeSpan.Zero),
        };
        for (var i = 0; i < n; i++)
        {
            var end = period switch { "day" => start.AddDays(1), "week" => start.AddDays(7), _ => start.AddMonths(1) };
            periods.Insert(0, (start, end));
            start = period switch { "day" => start.AddDays(-1), "week" => start.AddDays(-7), _ => start.AddMonths(-1) };
        }

        var recent = new List<(DateTimeOffset, DateTimeOffset)> { (now.AddDays(-7), now), (now.AddDays(-30), now), (now.AddDays(-90), now) };
        var figures = await queries.UptimeAsync(id, [.. periods, .. recent], now, http.RequestAborted);
        return Results.Ok(new
        {
            period,
            periods = figures.Take(periods.Count),
            last7Days = figures[periods.Count],
            last30Days = figures[periods.Count + 1],
            last90Days = figures[periods.Count + 2],
        });
    }

    private static async Task<IResult> AddMaintenance(string id, MaintenanceRequest request, HttpContext http, IClusterClient client, MonitoringStore store)
    {
        if (await Visible(id, http, client) is null)
        {
            return NotFound(id);
        }

        if (request.StartsAt is not { } startsAt || request.EndsAt is not { } endsAt || endsAt <= startsAt)
        {
            return Problem(400, "invalid-window", "A maintenance window needs startsAt and endsAt (ISO 8601), with endsAt after startsAt.");
        }

        if (endsAt - startsAt > TimeSpan.FromDays(31))
        {
            return Problem(400, "invalid-window", "A maintenance window lasts at most 31 days.");
        }

        var window = await store.AddMaintenanceAsync(id, startsAt, endsAt, (request.Reason ?? "").Trim(), http.User.DisplayName(), http.RequestAborted);
        await client.GetGrain<IMonitoredSystemGrain>(SystemKeys.Grain(id)).Refresh();
        return Results.Created($"/api/monitoring/systems/{id}/maintenance", window);
    }

    private static async Task<IResult> ListMaintenance(string id, HttpContext http, IClusterClient client, MonitoringStore store, TimeProvider clock) =>
        await Visible(id, http, client) is null ? NotFound(id) : Results.Ok(await store.MaintenanceAsync(id, clock.GetUtcNow().AddDays(-90), http.RequestAborted));

    private static async Task<List<string>> UnknownStaffAsync(IReadOnlyList<string>? ids, HttpContext http)
    {
        var unknown = new List<string>();
        if (ids is null || http.RequestServices.GetService<SupportPlatform.Identity.Contracts.IUserDirectory>() is not { } users)
        {
            return unknown;
        }

        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (string.IsNullOrWhiteSpace(id) || await users.FindAsync(id, http.RequestAborted) is not { Active: true, Kind: PlatformClaims.StaffKind })
            {
                unknown.Add(id ?? "");
            }
        }

        return unknown;
    }

    private static string NotifyProblem(IReadOnlyList<string> unknown) =>
        $"notify names {string.Join(", ", unknown.Select(u => $"'{u}'"))}, which {(unknown.Count == 1 ? "is not an active staff user" : "are not active staff users")}; give staff user ids (GET /api/staff).";

    private static async Task<IResult> PutRules(string accountId, AlertRules rules, IClusterClient client, MonitoringStore store, HttpContext http)
    {
        if (!AccountKeys.IsValidId(accountId) || await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId)).Get() is null)
        {
            return Problem(404, "not-found", $"Client account '{accountId}' does not exist.");
        }

        if (rules.Validate() is { Count: > 0 } problems)
        {
            return Problem(422, "invalid-rules", string.Join(" ", problems));
        }

        if (await UnknownStaffAsync(rules.Notify, http) is { Count: > 0 } unknown)
        {
            return Problem(422, "invalid-rules", NotifyProblem(unknown));
        }

        await store.SaveAccountRulesAsync(accountId, rules, http.RequestAborted);
        foreach (var system in await store.SystemIdsAsync(accountId, http.RequestAborted))
        {
            await client.GetGrain<IMonitoredSystemGrain>(SystemKeys.Grain(system)).Refresh();
        }

        return Results.Ok(rules);
    }

    private static async Task<IResult> GetRules(string accountId, MonitoringStore store, HttpContext http) =>
        Results.Ok(await store.AccountRulesAsync(accountId, http.RequestAborted) ?? new AlertRules());

    private static async Task<IResult> Incidents(string? status, string? accountId, string? systemId, int? limit, HttpContext http, MonitoringQueries queries)
    {
        if (status is not (null or "open" or "resolved"))
        {
            return Problem(400, "invalid-status", "status is open or resolved.");
        }

        return Results.Ok(await queries.IncidentsAsync(status, http.User.ClientAccountId() ?? accountId, systemId, Limit(limit), http.RequestAborted));
    }

    private static async Task<IResult> Unmapped(int? limit, MonitoringQueries queries, HttpContext http) =>
        Results.Ok(await queries.AlertsAsync(null, Limit(limit), http.RequestAborted));

    private static async Task<IResult> Submit(MonitoringAlert[]? alerts, IMonitoringAlertSink sink, HttpContext http)
    {
        if (alerts is null || alerts.Length == 0)
        {
            return Problem(400, "no-alerts", "Send a JSON array of one or more alerts.");
        }

        if (alerts.Length > 1000)
        {
            return Problem(400, "too-many-alerts", "Send at most 1000 alerts per request.");
        }

        try
        {
            return Results.Ok(await sink.SubmitAsync(alerts, http.RequestAborted));
        }
        catch (InvalidAlertException ex)
        {
            return Problem(400, "invalid-alert", ex.Message);
        }
    }

    private static async Task<SystemView?> Visible(string id, HttpContext http, IClusterClient client) =>
        SystemKeys.IsValidId(id) && await client.GetGrain<IMonitoredSystemGrain>(SystemKeys.Grain(id)).Get() is { } system && http.User.CanSeeAccount(system.AccountId)
            ? system
            : null;

    private static int Limit(int? limit) => Math.Clamp(limit ?? 100, 1, MaxLimit);

    private static async Task<IResult> Run(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (MonitoringRuleException ex)
        {
            return Problem(ex.Status, ex.Code, ex.Message);
        }
        catch (MonitoringConflictException ex)
        {
            return Problem(409, "conflict", ex.Message);
        }
    }

    private static IResult NotFound(string id) => Problem(404, "not-found", $"Monitored system '{id}' does not exist.");

    private static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code });
}
