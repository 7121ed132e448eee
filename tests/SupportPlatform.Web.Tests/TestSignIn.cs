using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// A user the tests act as. Client users belong to an account; their user id on the server is
/// <c>{Id}.{AccountId}</c>, so tests can reuse a short name ("kim") in several accounts.
/// </summary>
public sealed record TestUser(string Kind, string Id, string Name, string? AccountId = null, string Role = "agent")
{
    /// <summary>An admin the tests create (the configured first admin has the id "admin").</summary>
    public static readonly TestUser Admin = new("staff", "ada", "Ada Admin", Role: "admin");

    /// <summary>The user's id on the server (the actor id in histories).</summary>
    public string UserId => AccountId is null ? Id : $"{Id}.{AccountId}";

    /// <summary>The address the test helpers give the user (<see cref="PlatformUsers"/>).</summary>
    public string Email => AccountId is null ? $"{UserId}@staff.tests.example" : $"{UserId}@{AccountId}.tests.example";

    public string Password => PlatformUsers.Password(UserId);

    public static TestUser Agent(string id, string name) => new("staff", id, name);

    public static TestUser Client(string id, string name, string accountId) => new("client", id, name, accountId, "client");
}

/// <summary>
/// How tests sign in: users are created through the identity API (<see cref="TestUsers"/>), browsers sign in through
/// the /signin page and API clients through <c>POST /api/auth/signin</c> with the antiforgery header.
/// </summary>
public sealed class TestSignIn
{
    private readonly Uri baseAddress;

    private TestSignIn(Uri baseAddress) => this.baseAddress = baseAddress;

    /// <summary>Checks that the server has sign-in (<c>GET /api/me</c> answers 401 to a stranger).</summary>
    public static async Task<TestSignIn> DetectAsync(Uri baseAddress)
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        using var response = await http.GetAsync("/api/me");
        return response.StatusCode == HttpStatusCode.Unauthorized
            ? new TestSignIn(baseAddress)
            : throw new InvalidOperationException($"GET /api/me answered {(int)response.StatusCode} to an anonymous caller; expected 401 (identity installed).");
    }

    /// <summary>Signs <paramref name="context"/> in as <paramref name="user"/> through the /signin page.</summary>
    public async Task SignInAsync(IBrowserContext context, TestUser user)
    {
        await TestUsers.EnsureAsync(baseAddress, user);
        var page = await context.NewPageAsync();
        await SignInThroughPageAsync(page, user);
        await page.CloseAsync();
    }

    /// <summary>Fills and sends the /signin form, then waits for the landing page of the user's kind.</summary>
    public static async Task SignInThroughPageAsync(IPage page, TestUser user)
    {
        await page.GotoReadyAsync("/signin");
        await page.GetByLabel("Email address").First.FillAsync(user.Email);
        await page.GetByLabel("Password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(user.Kind == "client" ? "**/portal" : "**/console");
    }

    /// <summary>An API client acting as <paramref name="user"/>.</summary>
    public async Task<HttpClient> ApiClientAsync(TestUser user)
    {
        await TestUsers.EnsureAsync(baseAddress, user);
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer() };
        var signedIn = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseAddress };
        var response = await signedIn.PostAsJsonAsync("/api/auth/signin", new { email = user.Email, password = user.Password });
        await WebFixture.Ok(response);
        var antiforgery = await WebFixture.Ok(await signedIn.GetAsync("/api/auth/antiforgery"));
        signedIn.DefaultRequestHeaders.Add(antiforgery.GetProperty("headerName").GetString()!, antiforgery.GetProperty("token").GetString());
        return signedIn;
    }
}
