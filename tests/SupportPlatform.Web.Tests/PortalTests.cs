using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

[Collection(WebCollection.Name)]
public sealed class PortalTests(WebFixture fixture)
{
    private readonly TestUser agent = TestUser.Agent("alice", "Alice Agent");

    [Fact]
    public async Task Portal_ClientSeesTheirAccountsTicketsAndNotAnotherAccounts()
    {
        var mine = WebFixture.Unique("own");
        var theirs = WebFixture.Unique("other");
        await fixture.EnsureAccountAsync(mine, "Own Ltd");
        await fixture.EnsureAccountAsync(theirs, "Other Ltd");
        var client = TestUser.Client(WebFixture.Unique("fay"), "Fay Client", mine);
        using var api = await fixture.ApiAsync(agent);
        var own = await WebFixture.CreateTicketAsync(api, mine, client.Id, "Our backup failed");
        var foreign = await WebFixture.CreateTicketAsync(api, theirs, "gus", "Their secret project");

        await using var session = await fixture.OpenAsync(client);
        var page = session.Page;
        await page.GotoReadyAsync("/portal");
        await Expect(page.Locator("#tickets")).ToContainTextAsync("Our backup failed");
        await Expect(page.Locator("main")).Not.ToContainTextAsync("Their secret project");

        await page.GotoReadyAsync($"/portal/tickets/{foreign}");
        await Expect(page.Locator("main [role=alert]")).ToContainTextAsync($"Ticket {foreign} was not found.");
        await Expect(page.Locator("main")).Not.ToContainTextAsync("Their secret project");

        await page.GotoReadyAsync($"/portal/tickets/{own}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Our backup failed");
    }

    [Fact]
    public async Task Portal_AgentReplyShows_InternalNoteDoesNot_ClientCanAnswer()
    {
        var account = WebFixture.Unique("reply");
        await fixture.EnsureAccountAsync(account, "Reply Ltd");
        var client = TestUser.Client(WebFixture.Unique("hal"), "Hal Client", account);
        using var clientApi = await fixture.ApiAsync(client);
        var id = await WebFixture.CreateTicketAsync(clientApi, account, client.Id, "Cannot print");

        // The agent answers from the console.
        await using (var console = await fixture.OpenAsync(agent))
        {
            await console.Page.GotoReadyAsync($"/console/tickets/{id}");
            await console.Page.GetByLabel("Message").FillAsync("Restart the spooler, please.");
            await console.Page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
            await Expect(console.Page.Locator("#history li.comment")).ToContainTextAsync("Restart the spooler");
            await console.Page.GetByLabel("Message").FillAsync("Staff only: client runs an old driver.");
            await console.Page.GetByLabel("Internal note (staff only)").CheckAsync();
            await console.Page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
            await Expect(console.Page.Locator("#history li.internal")).ToContainTextAsync("old driver");
        }

        await using var session = await fixture.OpenAsync(client);
        var page = session.Page;
        await page.GotoReadyAsync($"/portal/tickets/{id}");
        await Expect(page.Locator("#conversation")).ToContainTextAsync("Restart the spooler, please.");
        await Expect(page.Locator("#conversation")).ToContainTextAsync("Alice Agent (support)");
        await Expect(page.Locator("main")).Not.ToContainTextAsync("old driver");

        await page.GetByLabel("Your reply").FillAsync("Done, it prints again.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
        await Expect(page.Locator("#conversation")).ToContainTextAsync("Done, it prints again.");
    }

    [Fact]
    public async Task Portal_OpenTicketWithAttachment_FileIsStoredAndDownloadable()
    {
        var account = WebFixture.Unique("att");
        await fixture.EnsureAccountAsync(account, "Attach Ltd");
        var client = TestUser.Client(WebFixture.Unique("ivy"), "Ivy Client", account);
        var log = "2026-11-28 09:00 spooler crashed\n"u8.ToArray();

        await using var session = await fixture.OpenAsync(client);
        var page = session.Page;
        await page.GotoReadyAsync("/portal/new");
        await page.GetByLabel("Subject").FillAsync("Spooler crash");
        await page.GetByLabel("What happened?").FillAsync("See the attached log.");
        await page.GetByLabel("Priority").SelectOptionAsync("high");
        await page.GetByLabel("Attachments").SetInputFilesAsync(new FilePayload { Name = "spooler.log", MimeType = "text/plain", Buffer = log });
        await page.GetByRole(AriaRole.Button, new() { Name = "Open ticket" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/portal/tickets/\d+$"));
        var link = page.Locator("#conversation a", new() { HasText = "spooler.log" });
        await Expect(link).ToBeVisibleAsync();

        var id = long.Parse(page.Url.Split('/').Last(), System.Globalization.CultureInfo.InvariantCulture);
        using var api = await fixture.ApiAsync(agent);
        var ticket = await WebFixture.Ok(await api.GetAsync($"/api/tickets/{id}"));
        Assert.Equal(account, ticket.GetProperty("accountId").GetString());
        Assert.Equal("high", ticket.GetProperty("priority").GetString());
        Assert.Equal("portal", ticket.GetProperty("channel").GetString());

        var href = await link.GetAttributeAsync("href");
        using var download = await api.GetAsync(href);
        Assert.True(download.IsSuccessStatusCode, $"{(int)download.StatusCode}");
        Assert.Equal(log, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("nosniff", string.Join(",", download.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Portal_AttachmentOfWrongType_IsRefusedWithTheReason()
    {
        var account = WebFixture.Unique("bad");
        await fixture.EnsureAccountAsync(account, "Bad Files Ltd");
        var client = TestUser.Client(WebFixture.Unique("jo"), "Jo Client", account);
        using var api = await fixture.ApiAsync(client);
        var id = await WebFixture.CreateTicketAsync(api, account, client.Id, "Screenshot");

        await using var session = await fixture.OpenAsync(client);
        var page = session.Page;
        await page.GotoReadyAsync($"/portal/tickets/{id}");
        await page.GetByLabel("Attachments").SetInputFilesAsync(new FilePayload { Name = "shot.svg", MimeType = "image/svg+xml", Buffer = "<svg onload=\"window.__xss=1\"/>"u8.ToArray() });
        await page.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
        await Expect(page.Locator("#reply-form [role=alert]")).ToContainTextAsync("image/svg+xml, which tickets do not accept");
        var history = await WebFixture.Ok(await api.GetAsync($"/api/tickets/{id}/history"));
        Assert.DoesNotContain(history.EnumerateArray(), e => e.GetProperty("event").GetProperty("kind").GetString() == "comment");
    }
}
