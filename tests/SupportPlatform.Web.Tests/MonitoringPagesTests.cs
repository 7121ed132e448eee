using System.Net.Http.Json;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>The monitoring dashboards: the client's own systems in the portal (updated live), the staff view and the wall of open incidents.</summary>
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

            // The disk recovers: the page shows it without a reload.
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

    /// <summary>
    /// Two client users of different accounts have their dashboards open at once. An alert for one account's system,
    /// posted through the Nagios plugin's webhook, reaches its dashboard by push within a few seconds (the fallback poll is 15 s and runs only while disconnected);
    /// the other client's connection, live all along (its own alert arrives next), never carries anything of it.
    /// </summary>
    [Fact]
    public async Task Portal_UpdatesByPush_AndAnotherAccountsClientReceivesNothingOfIt()
    {
        var accountA = WebFixture.Unique("push-a");
        var accountB = WebFixture.Unique("push-b");
        await fixture.EnsureAccountAsync(accountA, "Push A Ltd");
        await fixture.EnsureAccountAsync(accountB, "Push B Ltd");
        using var api = await fixture.ApiAsync(TestUser.Admin);
        await OkAsync(await api.PutAsJsonAsync($"/api/monitoring/systems/{accountA}-web", new { accountId = accountA, name = "A web server", hostNames = new[] { $"{accountA}.example" } }));
        await OkAsync(await api.PutAsJsonAsync($"/api/monitoring/systems/{accountB}-web", new { accountId = accountB, name = "B web server", hostNames = new[] { $"{accountB}.example" } }));

        await using var a = await fixture.OpenAsync(TestUser.Client(WebFixture.Unique("ann"), "Ann A", accountA));
        await using var b = await fixture.OpenAsync(TestUser.Client(WebFixture.Unique("ben"), "Ben B", accountB));
        var framesA = Frames(a.Page);
        var framesB = Frames(b.Page);
        foreach (var session in new[] { a, b })
        {
            await session.Page.GotoReadyAsync("/portal/monitoring");
            await Expect(session.Page.Locator("#refreshed")).ToHaveAttributeAsync("data-live", "connected");
            await Expect(session.Page.Locator("#systems td[data-label='Problems']")).ToHaveTextAsync("none");
        }

        // Alerts arrive through the Nagios plugin's webhook, as its notification command posts them.
        using var nagios = new HttpClient { BaseAddress = fixture.BaseAddress };
        nagios.DefaultRequestHeaders.Authorization = new("Bearer", WebFixture.NagiosToken);
        await OkAsync(await nagios.PostAsync("/hooks/nagios/", Notification($"{accountA}.example", "HTTPS", "CRITICAL", "HTTPS CRITICAL - pushed to A")));
        await Expect(a.Page.Locator("#systems")).ToContainTextAsync("HTTPS CRITICAL - pushed to A", new() { Timeout = 5_000 });
        await Expect(a.Page.Locator("#incidents")).ToContainTextAsync($"{accountA}-web#1", new() { Timeout = 5_000 });

        // B's connection is live: its own alert, sent after A's, arrives by push too (pushes are delivered in order).
        await OkAsync(await nagios.PostAsync("/hooks/nagios/", Notification($"{accountB}.example", "disk", "WARNING", "DISK WARNING - pushed to B")));
        await Expect(b.Page.Locator("#systems")).ToContainTextAsync("DISK WARNING - pushed to B", new() { Timeout = 5_000 });
        await Expect(b.Page.Locator("#systems")).Not.ToContainTextAsync("pushed to A");
        await Expect(a.Page.Locator("#refreshed")).ToHaveAttributeAsync("data-live", "connected");
        await Expect(b.Page.Locator("#refreshed")).ToHaveAttributeAsync("data-live", "connected");

        lock (framesB)
        {
            Assert.Contains(framesB, f => f.Contains("systemsChanged", StringComparison.Ordinal) && f.Contains($"{accountB}-web", StringComparison.Ordinal));
            Assert.DoesNotContain(framesB, f => f.Contains(accountA, StringComparison.Ordinal));
        }

        lock (framesA)
        {
            Assert.Contains(framesA, f => f.Contains("systemsChanged", StringComparison.Ordinal) && f.Contains($"{accountA}-web", StringComparison.Ordinal));
            Assert.DoesNotContain(framesA, f => f.Contains(accountB, StringComparison.Ordinal));
        }

        Assert.Empty(a.Errors);
        Assert.Empty(b.Errors);
    }

    /// <summary>A Nagios PROBLEM notification as sp-nagios-notify posts it.</summary>
    private static FormUrlEncodedContent Notification(string host, string service, string state, string output) => new(new Dictionary<string, string>
    {
        ["type"] = "PROBLEM", ["host"] = host, ["service"] = service, ["state"] = state, ["output"] = output,
        ["time"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), ["problemId"] = "7",
    });

    /// <summary>Every text frame the page's web sockets receive (the SignalR JSON protocol).</summary>
    private static List<string> Frames(Microsoft.Playwright.IPage page)
    {
        var frames = new List<string>();
        page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) =>
        {
            lock (frames)
            {
                frames.Add(frame.Text ?? "");
            }
        };
        return frames;
    }
}
