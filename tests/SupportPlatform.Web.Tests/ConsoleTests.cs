using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

[Collection(WebCollection.Name)]
public sealed class ConsoleTests(WebFixture fixture)
{
    private readonly TestUser agent = TestUser.Agent("alice", "Alice Agent");

    [Fact]
    public async Task Queue_OpenTickets_MostUrgentFirstAndFilteredByPriority()
    {
        var account = WebFixture.Unique("queue");
        await fixture.EnsureAccountAsync(account, "Queue Ltd");
        using var api = await fixture.ApiAsync(agent);
        var low = await WebFixture.CreateTicketAsync(api, account, "carol", "Low: new mouse", priority: "low");
        var critical = await WebFixture.CreateTicketAsync(api, account, "carol", "Critical: mail down", priority: "critical");
        var normal = await WebFixture.CreateTicketAsync(api, account, "carol", "Normal: printer", priority: "normal");
        var resolved = await WebFixture.CreateTicketAsync(api, account, "carol", "Resolved already");
        await WebFixture.Ok(await api.PostAsJsonAsync($"/api/tickets/{resolved}/status", new { status = "resolved", note = "Fixed." }));

        await using var session = await fixture.OpenAsync(agent);
        var page = session.Page;
        await page.GotoReadyAsync($"/console?accountId={account}");
        var rows = page.Locator("#queue tbody tr[data-ticket]");
        await Expect(rows).ToHaveCountAsync(3);
        Assert.Equal([critical.ToString(), normal.ToString(), low.ToString()], await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.ticket)"));
        await Expect(page.Locator("#queue")).Not.ToContainTextAsync("Resolved already");

        await page.GetByLabel("Priority").SelectOptionAsync("critical");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("Critical: mail down");
        Assert.Contains("priority=critical", page.Url);
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task TicketPage_ReplyAndInternalNote_AppearInHistory()
    {
        var account = WebFixture.Unique("hist");
        await fixture.EnsureAccountAsync(account, "History Ltd");
        using var api = await fixture.ApiAsync(agent);
        var id = await WebFixture.CreateTicketAsync(api, account, "dave", "VPN drops every hour", "Since Monday.");

        await using var session = await fixture.OpenAsync(agent);
        var page = session.Page;
        await page.GotoReadyAsync($"/console/tickets/{id}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("VPN drops every hour");

        await page.GetByLabel("Message").FillAsync("Please send the router log.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.Locator("#history li.comment")).ToContainTextAsync("Please send the router log.");
        await Expect(page.Locator("#details")).ToContainTextAsync("open"); // the first public reply opens a new ticket

        await page.GetByLabel("Message").FillAsync("Probably the ISP again.");
        await page.GetByLabel("Internal note (staff only)").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.Locator("#history li.internal")).ToContainTextAsync("Probably the ISP again.");

        await page.GetByLabel("Priority", new() { Exact = true }).SelectOptionAsync("high");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change priority" }).ClickAsync();
        await Expect(page.Locator("#history")).ToContainTextAsync("changed the priority from normal to high");

        // Resolving needs a note: the server's explanation is shown next to the form.
        await page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("resolved");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change status" }).ClickAsync();
        await Expect(page.Locator("#status-form [role=alert]")).ToContainTextAsync("resolution note");

        var history = await WebFixture.Ok(await api.GetAsync($"/api/tickets/{id}/history"));
        Assert.Contains(history.EnumerateArray(), e => e.GetProperty("event").GetProperty("kind").GetString() == "comment"
            && e.GetProperty("event").GetProperty("visibility").GetString() == "internal");
    }

    [Fact]
    public async Task TicketPage_Merge_LinksBothTicketsAsRelated()
    {
        var account = WebFixture.Unique("merge");
        await fixture.EnsureAccountAsync(account, "Merge Ltd");
        using var api = await fixture.ApiAsync(agent);
        var source = await WebFixture.CreateTicketAsync(api, account, "erin", "Printer jammed (again)");
        var target = await WebFixture.CreateTicketAsync(api, account, "erin", "Printer jammed");

        await using var session = await fixture.OpenAsync(agent);
        var page = session.Page;
        await page.GotoReadyAsync($"/console/tickets/{source}");
        await page.GetByLabel("Merge into ticket number").FillAsync(target.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Merge" }).ClickAsync();
        await Expect(page.Locator("#related")).ToContainTextAsync($"#{target} Printer jammed");

        await page.GotoReadyAsync($"/console/tickets/{target}");
        await Expect(page.Locator("#related")).ToContainTextAsync($"#{source}");
        await Expect(page.Locator("#history")).ToContainTextAsync("into this ticket");
    }

    [Fact]
    public async Task Admin_AccountWithCalendar_IsSavedThroughTheForm()
    {
        var account = WebFixture.Unique("adm");
        await using var session = await fixture.OpenAsync(TestUser.Admin);
        var page = session.Page;
        await page.GotoReadyAsync("/console/admin/accounts/new");
        await page.Locator("#acc-id").FillAsync(account);
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Calendar Ltd");
        await page.Locator("#acc-zone").FillAsync("Europe/Paris");
        await page.GetByLabel("Use the reference contract").UncheckAsync();
        foreach (var (priority, minutes) in new[] { ("Critical", "30"), ("High", "120"), ("Normal", "240"), ("Low", "480") })
        {
            await page.GetByLabel($"{priority}: first response (minutes)").FillAsync(minutes);
            await page.GetByLabel($"{priority}: next response (minutes)").FillAsync(minutes);
            await page.GetByLabel($"{priority}: resolution (minutes)").FillAsync("960");
        }

        await page.GetByLabel("Calendar time zone").FillAsync("Europe/Paris");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add opening hours" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add holiday" }).ClickAsync();
        await page.GetByLabel("Holiday date").FillAsync("2026-12-25");
        await page.GetByLabel("Holiday name").FillAsync("Christmas");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save account" }).ClickAsync();
        await page.WaitForURLAsync($"**/console/admin/accounts/{account}");
        await page.Locator("body[data-ready]").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        using var api = await fixture.ApiAsync(TestUser.Admin);
        var saved = await WebFixture.Ok(await api.GetAsync($"/api/accounts/{account}"));
        var contract = saved.GetProperty("contract");
        Assert.Equal("Europe/Paris", contract.GetProperty("calendar").GetProperty("timeZoneId").GetString());
        Assert.Equal("Christmas", contract.GetProperty("calendar").GetProperty("holidays")[0].GetProperty("name").GetString());
        Assert.Equal(30, contract.GetProperty("slaPolicy").GetProperty("targets").EnumerateArray()
            .Single(t => t.GetProperty("priority").GetString() == "critical").GetProperty("firstResponseMinutes").GetInt32());

        // A bad value is refused with the server's explanation, on the page.
        await page.GetByLabel("Calendar time zone").FillAsync("Mars/Olympus");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save account" }).ClickAsync();
        await Expect(page.Locator("[role=alert]")).ToContainTextAsync("Mars/Olympus");
    }

    [Fact]
    public async Task Admin_PluginsAndAgents_AreListed()
    {
        using var api = await fixture.ApiAsync(TestUser.Admin);
        var id = WebFixture.Unique("ag");
        await WebFixture.Ok(await api.PutAsJsonAsync($"/api/agents/{id}", new { displayName = "Grace Hopper", groups = new[] { "L2" }, skills = new[] { "networking" } }));

        await using var session = await fixture.OpenAsync(TestUser.Admin);
        var page = session.Page;
        await page.GotoReadyAsync("/console/admin/agents");
        await Expect(page.Locator("main table")).ToContainTextAsync("Grace Hopper");
        await page.GotoReadyAsync("/console/admin/plugins");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Plugins" })).ToBeVisibleAsync();
        await Expect(page.Locator("main")).ToContainTextAsync("Every plugin found");
        await page.GotoReadyAsync("/console/admin/routing");
        await Expect(page.GetByLabel("Rules, in order (JSON)")).ToBeVisibleAsync();
    }
}
