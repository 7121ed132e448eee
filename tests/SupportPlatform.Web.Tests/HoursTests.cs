using System.Net.Http.Json;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>The phone allowance on the console's ticket page (updated live when a call is counted on it), the account page and the portal.</summary>
[Collection(WebCollection.Name)]
public sealed class HoursTests(WebFixture fixture)
{
    private readonly TestUser agent = TestUser.Agent("alice", "Alice Agent");

    private static async Task LogCallAsync(HttpClient api, string account, double minutes, long? ticketId = null)
    {
        var response = await api.PostAsJsonAsync("/api/phone/calls", new { accountId = account, startedAt = DateTimeOffset.UtcNow.AddHours(-1), durationMinutes = minutes, notes = "Walked them through the VPN client.", ticketId });
        Assert.True(WebFixture.IsSuccess(response.StatusCode), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Balance_OnTicketPageLive_AndInThePortal()
    {
        var account = WebFixture.Unique("hours");
        await fixture.EnsureAccountAsync(account, "Hours Ltd");
        var client = TestUser.Client(WebFixture.Unique("joy"), "Joy Client", account);
        using var api = await fixture.ApiAsync(agent);
        var ticket = await WebFixture.CreateTicketAsync(api, account, client.Id, "VPN drops every hour");
        await LogCallAsync(api, account, 25); // 6-minute increments: 30 minutes counted

        await using (var console = await fixture.OpenAsync(agent))
        {
            var page = console.Page;
            await page.GotoReadyAsync($"/console/tickets/{ticket}");
            await Expect(page.Locator("#hours")).ToContainTextAsync("30 min used of 10 h (5%)");
            await Expect(page.Locator("#hours")).ToContainTextAsync("9 h 30 min left");

            // A call counted on this ticket shows without reloading the page.
            await LogCallAsync(api, account, 28, ticket);
            await Expect(page.Locator("#hours")).ToContainTextAsync("1 h used of 10 h (10%)");
        }

        await using (var admin = await fixture.OpenAsync(TestUser.Admin))
        {
            await admin.Page.GotoReadyAsync($"/console/admin/accounts/{account}");
            await Expect(admin.Page.Locator("#hours")).ToContainTextAsync("1 h used of 10 h (10%)");
        }

        await using var session = await fixture.OpenAsync(client);
        await session.Page.GotoReadyAsync("/portal");
        await Expect(session.Page.Locator("#hours")).ToContainTextAsync("1 h used of 10 h (10%)");
        await Expect(session.Page.Locator("#hours meter")).ToHaveAttributeAsync("value", "60");
    }
}
