using System.Net.Http.Json;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>The monitoring dashboards: the client's own systems in the portal (refreshing itself), the staff view and the wall of open incidents.</summary>
[Collection(WebCollection.Name)]
public sealed class MonitoringPagesTests(WebFixture fixture)
{
    private static async Task OkAsync(HttpResponseMessage response) =>
        Assert.True(WebFixture.IsSuccess(response.StatusCode), $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

    private static object Alert(string host, string check, string state, DateTimeOffset at, string summary) =>
        new { source = "api", system = host, check, state, dedupKey = $"{host}/{check}", occurredAt = at, summary };

    [Fact]
    public async Task Portal_ShowsOwnSystemsUptimeIncidentsAndMaintenance_AndRefreshes_WallShowsTheIncident()
    {
        var account = WebFixture.Unique("mon");
        var other = WebFixture.Unique("mon-other");
        await fixture.EnsureAccountAsync(account, "Monitored Ltd");
        await fixture.EnsureAccountAsync(other, "Other Ltd");
        using var api = await fixture.ApiAsync(TestUser.Admin);
        var host = $"{account}.example";
        await OkAsync(await api.PutAsJsonAsync($"/api/monitoring/systems/{account}-db", new { accountId = account, name = "Database server", hostNames = new[] { host } }));
        await OkAsync(await api.PutAsJsonAsync($"/api/monitoring/systems/{other}-web", new { accountId = other, name = "Other web server", hostNames = new[] { $"{other}.example" } }));
        await OkAsync(await api.PostAsJsonAsync($"/api/monitoring/systems/{account}-db/maintenance",
            new { startsAt = DateTimeOffset.UtcNow.AddDays(2), endsAt = DateTimeOffset.UtcNow.AddDays(2).AddHours(1), reason = "Firmware upgrade" }));
        var now = DateTimeOffset.UtcNow;
        await OkAsync(await api.PostAsJsonAsync("/api/monitoring/alerts", new[]
        {
            Alert(host, "disk /var", "critical", now.AddMinutes(-10), "DISK CRITICAL - /var 98% used"),
            Alert($"{other}.example", "http", "critical", now.AddMinutes(-5), "HTTP CRITICAL - other"),
        }));

        var client = TestUser.Client(WebFixture.Unique("mia"), "Mia Client", account);
        await using (var session = await fixture.OpenAsync(client))
        {
            var page = session.Page;
            await page.GotoReadyAsync("/portal/monitoring?refresh=2");
            var systems = page.Locator("#systems");
            await Expect(page.Locator("#content .error")).ToHaveCountAsync(0);
            await Expect(systems).ToContainTextAsync("Database server");
            await Expect(systems).ToContainTextAsync("critical");
            await Expect(systems).ToContainTextAsync("DISK CRITICAL - /var 98% used");
            await Expect(systems).ToContainTextAsync("99.9 %");
            await Expect(systems).Not.ToContainTextAsync("Other web server");
            await Expect(page.Locator("#incidents")).ToContainTextAsync($"{account}-db#1");
            await Expect(page.Locator("#incidents a[href^='/portal/tickets/']")).ToHaveCountAsync(1);
            await Expect(page.Locator("#maintenance")).ToContainTextAsync("Firmware upgrade");
            await Expect(page.Locator("#maintenance")).ToContainTextAsync("(coming)");

            // The disk recovers: the page shows it on its next refresh, without a reload.
            await OkAsync(await api.PostAsJsonAsync("/api/monitoring/alerts", new[] { Alert(host, "disk /var", "ok", DateTimeOffset.UtcNow, "DISK OK - /var 60% used") }));
            await Expect(page.Locator("#incidents")).ToContainTextAsync("No open incidents.", new() { Timeout = 20_000 });
            await Expect(systems.Locator("td[data-label='Problems']")).ToHaveTextAsync("none");
            Assert.Empty(session.Errors);
        }

        await using var staff = await fixture.OpenAsync(TestUser.Admin);
        await staff.Page.GotoReadyAsync("/console/monitoring/wall");
        var wall = staff.Page.Locator("#incidents");
        await Expect(wall).ToContainTextAsync("HTTP CRITICAL - other");
        await Expect(wall).ToContainTextAsync("Other web server");
        await Expect(wall).Not.ToContainTextAsync("DISK CRITICAL");
        await staff.Page.GotoReadyAsync($"/console/monitoring?account={other}");
        await Expect(staff.Page.Locator("#systems")).ToContainTextAsync("Other web server");
        await Expect(staff.Page.Locator("#systems")).Not.ToContainTextAsync("Database server");
        Assert.Empty(staff.Errors);
    }
}
