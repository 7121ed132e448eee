using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// Sign-in through the /signin page against the identity module (POST /api/auth/signin, GET /api/me, 401 for
/// strangers, 404 for another account's ticket).
/// </summary>
[Collection(WebCollection.Name)]
[Trait("Needs", "identity")]
public sealed class SignInTests(WebFixture fixture)
{
    private async Task<IPage> AnonymousPageAsync()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.BaseAddress.ToString() });
        return await context.NewPageAsync();
    }

    [Fact]
    public async Task SignIn_AsAgent_LandsOnTheConsoleWithTheirName()
    {
        var page = await AnonymousPageAsync();
        var agent = TestUser.Agent("alice", "Alice Agent");
        await TestUsers.EnsureAsync(fixture.BaseAddress, agent);
        await page.GotoAsync("/console");
        await page.WaitForURLAsync("**/signin?returnUrl=*");
        await TestSignIn.SignInThroughPageAsync(page, agent);
        await Expect(page.Locator("header.bar")).ToContainTextAsync("Alice Agent");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_AsClient_LandsOnThePortal_AndCannotOpenAnotherAccountsTicket()
    {
        var account = WebFixture.Unique("si");
        var other = WebFixture.Unique("si-other");
        await fixture.EnsureAccountAsync(account, "Sign In Ltd");
        await fixture.EnsureAccountAsync(other, "Other Ltd");
        var client = TestUser.Client(WebFixture.Unique("lee"), "Lee Client", account);
        using var staff = await fixture.ApiAsync(TestUser.Agent("alice", "Alice Agent"));
        var foreign = await WebFixture.CreateTicketAsync(staff, other, "zed", "Not for Lee");

        var page = await AnonymousPageAsync();
        await TestUsers.EnsureAsync(fixture.BaseAddress, client);
        await TestSignIn.SignInThroughPageAsync(page, client);
        await Expect(page.Locator("header.bar")).ToContainTextAsync("Lee Client");

        using var api = await fixture.ApiAsync(client);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/tickets/{foreign}")).StatusCode);
        await page.GotoReadyAsync($"/portal/tickets/{foreign}");
        await Expect(page.Locator("main [role=alert]")).ToContainTextAsync("was not found");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_WrongPassword_SaysSoAndStaysOnTheForm()
    {
        var page = await AnonymousPageAsync();
        await page.GotoReadyAsync("/signin");
        await page.GetByLabel("Email address").First.FillAsync("nobody@example.test");
        await page.GetByLabel("Password").FillAsync("wrong");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page.Locator("#signin-error [role=alert]")).ToContainTextAsync("do not match");
        Assert.EndsWith("/signin", page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }
}
