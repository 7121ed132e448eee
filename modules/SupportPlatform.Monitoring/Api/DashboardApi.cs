using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Monitoring.Grains;
using SupportPlatform.Monitoring.Persistence;
using SupportPlatform.Monitoring.Uptime;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Monitoring.Api;

/// <summary>Uptime of one system over the last 7, 30 and 90 days, against the target of its rules.</summary>
internal sealed record DashboardUptime(UptimeFigure Last7Days, UptimeFigure Last30Days, UptimeFigure Last90Days, double Target);

/// <summary>A check that is not OK, for the dashboard.</summary>
internal sealed record DashboardProblem(string Check, AlertState State, AlertCategory Category, DateTimeOffset Since, string Summary, bool Flapping);

/// <summary>One system on the dashboard.</summary>
internal sealed record DashboardSystem(
    string Id,
    string AccountId,
    string Name,
    AlertState Status,
    bool InMaintenance,
    int Checks,
    IReadOnlyList<DashboardProblem> Problems,
    DashboardUptime Uptime,
    IncidentView? OpenIncident,
    IReadOnlyList<MaintenanceWindow> Maintenance);

/// <summary>The dashboard of one account (a client user's own) or of every account (staff).</summary>
internal sealed record Dashboard(DateTimeOffset GeneratedAt, IReadOnlyList<DashboardSystem> Systems, IReadOnlyList<IncidentView> OpenIncidents, bool Truncated);

/// <summary><c>GET /api/monitoring/dashboard</c>: everything the monitoring dashboards and the wall view show, in one call.</summary>
internal static class DashboardApi
{
    /// <summary>Most systems in one answer (each costs a grain call); narrow with accountId beyond it.</summary>
    public const int MaxSystems = 200;

    public static void MapDashboardApi(this RouteGroupBuilder group) =>
        group.MapGet("/dashboard", GetDashboard).WithName("MonitoringDashboard").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Every visible system's state, problems, uptime over 7/30/90 days against its target, open incident and recent or coming maintenance, and the open incidents (a client user sees their own account's).");

    /// <summary>
    /// A constant number of queries whatever the number of systems: the list, the account rules, the systems' histories
    /// (creation, availability changes, maintenance: three queries on one connection) and the open incidents. The
    /// systems' current state comes from their grains, asked all at once.
    /// </summary>
    private static async Task<IResult> GetDashboard(string? accountId, HttpContext http, IClusterClient client, MonitoringQueries queries, MonitoringStore store, TimeProvider clock)
    {
        var account = http.User.ClientAccountId() ?? (string.IsNullOrWhiteSpace(accountId) ? null : accountId.Trim());
        var now = clock.GetUtcNow();
        var summaries = await queries.SystemsAsync(account, http.RequestAborted);
        var views = (await Task.WhenAll(summaries.Take(MaxSystems).Select(s => client.GetGrain<IMonitoredSystemGrain>(SystemKeys.Grain(s.Id)).Get())))
            .OfType<SystemView>()
            .Where(v => http.User.CanSeeAccount(v.AccountId))
            .ToList();
        var rulesByAccount = await store.AccountRulesAsync(views.Where(v => v.Rules is null).Select(v => v.AccountId).ToHashSet(StringComparer.Ordinal), http.RequestAborted);
        var periods = new List<(DateTimeOffset, DateTimeOffset)> { (now.AddDays(-7), now), (now.AddDays(-30), now), (now.AddDays(-90), now) };
        var histories = await queries.HistoriesAsync(views.Select(v => v.Id).ToList(), now.AddDays(-90), now, http.RequestAborted);
        var systems = new List<DashboardSystem>(views.Count);
        foreach (var view in views)
        {
            var rules = view.Rules ?? rulesByAccount.GetValueOrDefault(view.AccountId) ?? new AlertRules();
            var history = histories.GetValueOrDefault(view.Id);
            IReadOnlyList<UptimeFigure> figures = history is null ? [.. periods.Select(p => new UptimeFigure(p.Item1, p.Item2, 0, 0, 0, null))] : history.Uptime(periods, now);
            // What the dashboard lists: windows of the last 30 days and to come.
            IReadOnlyList<MaintenanceWindow> maintenance = history is null ? [] : [.. history.Maintenance.Where(m => m.EndsAt > now.AddDays(-30))];
            systems.Add(new DashboardSystem(
                view.Id,
                view.AccountId,
                view.Name,
                view.Status,
                view.InMaintenance,
                view.Checks.Count,
                view.Checks.Where(c => c.State != AlertState.Ok)
                    .OrderByDescending(c => c.State == AlertState.Critical).ThenBy(c => c.Since)
                    .Select(c => new DashboardProblem(c.Name, c.State, c.Category, c.Since, c.Output.Split('\n', 2)[0], c.Flapping))
                    .ToList(),
                new DashboardUptime(figures[0], figures[1], figures[2], rules.UptimeTarget),
                view.OpenIncident,
                maintenance));
        }

        var incidents = await queries.IncidentsAsync("open", account, null, 500, http.RequestAborted);
        return Results.Ok(new Dashboard(now, systems, incidents.Where(i => http.User.CanSeeAccount(i.AccountId)).ToList(), summaries.Count > MaxSystems));
    }
}
