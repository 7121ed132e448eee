using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>WCAG 2.1 AA checks by axe-core on the queue and ticket pages, and phone-width layout.</summary>
[Collection(WebCollection.Name)]
public sealed class AccessibilityTests(WebFixture fixture)
{
    private readonly TestUser agent = TestUser.Agent("alice", "Alice Agent");

    private async Task<(string Account, long Ticket)> TicketWithHistoryAsync()
    {
        var account = WebFixture.Unique("a11y");
        await fixture.EnsureAccountAsync(account, "Access Ltd");
        using var api = await fixture.ApiAsync(agent);
        var id = await WebFixture.CreateTicketAsync(api, account, "kim", "Outlook keeps asking for the password",
            "Since the update this morning, on every start. https://example.test/kb/outlook", "high");
        await WebFixture.CommentAsync(api, id, "Which Outlook version is it?");
        await WebFixture.CommentAsync(api, id, "Looks like the modern auth change.", "internal");
        return (account, id);
    }

    [Theory]
    [InlineData("queue")]
    [InlineData("ticket")]
    [InlineData("portal")]
    [InlineData("admin")]
    public async Task Axe_Page_HasNoWcag21AaViolations(string which)
    {
        var (account, id) = await TicketWithHistoryAsync();
        var user = which == "portal" ? TestUser.Client("kim", "Kim Client", account) : agent;
        await using var session = await fixture.OpenAsync(user, bypassCsp: true);
        var page = session.Page;
        switch (which)
        {
            case "queue":
                await page.GotoReadyAsync($"/console?accountId={account}");
                await Expect(page.Locator($"#queue tr[data-ticket='{id}']")).ToBeVisibleAsync();
                break;
            case "ticket":
                await page.GotoReadyAsync($"/console/tickets/{id}");
                await Expect(page.Locator("#history li.internal")).ToBeVisibleAsync();
                break;
            case "portal":
                await page.GotoReadyAsync($"/portal/tickets/{id}");
                await Expect(page.Locator("#conversation")).ToBeVisibleAsync();
                break;
            default:
                await page.GotoReadyAsync($"/console/admin/accounts/{account}");
                await Expect(page.Locator("#account-form")).ToBeVisibleAsync();
                break;
        }

        var violations = await PageChecks.AxeViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task Keyboard_QueueAndTicket_SkipLinkLandmarksAndLiveRegion()
    {
        var (account, id) = await TicketWithHistoryAsync();
        await using var session = await fixture.OpenAsync(agent);
        var page = session.Page;
        await page.GotoReadyAsync($"/console?accountId={account}");
        await Expect(page.Locator($"#queue tr[data-ticket='{id}']")).ToBeVisibleAsync();

        // The first Tab lands on the skip link, which moves focus to the main content.
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator(":focus")).ToHaveTextAsync("Skip to the queue");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(":focus")).ToHaveIdAsync("main");
        await Expect(page.GetByRole(AriaRole.Main)).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeVisibleAsync();
        await Expect(page.Locator("#announcer[aria-live=polite]")).ToHaveCountAsync(1);

        // Tabbing reaches the ticket link, and Enter opens the ticket.
        var link = page.GetByRole(AriaRole.Link, new() { Name = $"Ticket {id}" });
        for (var i = 0; i < 30 && !await link.EvaluateAsync<bool>("el => el === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"**/console/tickets/{id}");
        await Expect(page.GetByRole(AriaRole.Complementary)).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData("/console?accountId={account}", "#queue tr[data-ticket]")]
    [InlineData("/console/tickets/{id}", "#history li")]
    [InlineData("/portal", "#tickets")]
    [InlineData("/portal/tickets/{id}", "#conversation")]
    [InlineData("/portal/new", "#new-ticket")]
    [InlineData("/console/admin/accounts/{account}", "#account-form")]
    [InlineData("/signin", "#signin-form")]
    public async Task PhoneWidth_375px_NoHorizontalScroll(string path, string ready)
    {
        var (account, id) = await TicketWithHistoryAsync();
        var user = path.StartsWith("/portal", StringComparison.Ordinal) ? TestUser.Client("kim", "Kim Client", account) : agent;
        await using var session = await fixture.OpenAsync(user, width: 375, height: 740);
        var page = session.Page;
        await page.GotoReadyAsync(path.Replace("{account}", account, StringComparison.Ordinal).Replace("{id}", id.ToString(), StringComparison.Ordinal));
        await Expect(page.Locator(ready).First).ToBeVisibleAsync();
        Assert.Equal(0, await PageChecks.HorizontalOverflowAsync(page));
        Assert.Empty(session.Errors);
    }
}
