using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// Live updates over /hubs/live (queueChanged, SubscribeQueue, WatchTicket, presence, ticketChanged) for signed-in
/// agents; presence names come from the signed-in users.
/// </summary>
[Collection(WebCollection.Name)]
[Trait("Needs", "livequeue")]
public sealed class LiveQueueTests(WebFixture fixture)
{
    private readonly TestUser alice = TestUser.Agent("alice", "Alice Agent");
    private readonly TestUser bob = TestUser.Agent("bob", "Bob Agent");

    private static async Task WaitLiveAsync(IPage page) =>
        await Expect(page.Locator("#live")).ToHaveTextAsync("Live updates: on", new() { Timeout = 10_000 });

    [Fact]
    public async Task Queue_TicketCreatedThroughTheApi_AppearsWithinASecondWithoutReload()
    {
        var account = WebFixture.Unique("live");
        await fixture.EnsureAccountAsync(account, "Live Ltd");
        await using var session = await fixture.OpenAsync(alice);
        var page = session.Page;
        await page.GotoReadyAsync($"/console?accountId={account}");
        await WaitLiveAsync(page);
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        using var api = await fixture.ApiAsync(alice);
        var id = await WebFixture.CreateTicketAsync(api, account, "max", "Server room too hot", priority: "critical");
        await Expect(page.Locator($"#queue tr[data-ticket='{id}']")).ToContainTextAsync("Server room too hot", new() { Timeout = 1000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page reloaded");
        await Expect(page.Locator("#announcer")).ToContainTextAsync($"Ticket {id}");

        // A change that takes it out of the open queue removes it in place.
        await WebFixture.Ok(await api.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "resolved", note = "Air-con fixed." }));
        await Expect(page.Locator($"#queue tr[data-ticket='{id}']")).ToHaveCountAsync(0, new() { Timeout = 1000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page reloaded");
    }

    [Fact]
    public async Task TicketPage_OtherAgentsPresenceTypingAndChanges_ShowLive()
    {
        var account = WebFixture.Unique("pres");
        await fixture.EnsureAccountAsync(account, "Presence Ltd");
        using var api = await fixture.ApiAsync(alice);
        var id = await WebFixture.CreateTicketAsync(api, account, "ned", "Shared mailbox missing");

        await using var aliceSession = await fixture.OpenAsync(alice);
        await using var bobSession = await fixture.OpenAsync(bob);
        await aliceSession.Page.GotoReadyAsync($"/console/tickets/{id}");
        await bobSession.Page.GotoReadyAsync($"/console/tickets/{id}");
        await WaitLiveAsync(aliceSession.Page);
        await WaitLiveAsync(bobSession.Page);

        await Expect(aliceSession.Page.Locator("#presence")).ToContainTextAsync("Bob Agent");
        await bobSession.Page.GetByLabel("Message").PressSequentiallyAsync("Looking at it");
        await Expect(aliceSession.Page.Locator("#presence")).ToContainTextAsync("typing");

        await bobSession.Page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(aliceSession.Page.Locator("#history")).ToContainTextAsync("Looking at it", new() { Timeout = 2000 });
    }
}
