using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace SupportPlatform.Web.Tests;

/// <summary>A user the tests act as. Client users belong to an account.</summary>
public sealed record TestUser(string Kind, string Id, string Name, string? AccountId = null, string Role = "agent")
{
    public static readonly TestUser Admin = new("staff", "admin", "Ada Admin", Role: "admin");

    public string Email => $"{Id}@example.test";

    public string Password => $"Pw-{Id}-correct horse battery";

    public static TestUser Agent(string id, string name) => new("staff", id, name);

    public static TestUser Client(string id, string name, string accountId) => new("client", id, name, accountId, "client");
}

/// <summary>
/// How tests sign in, decided by asking the server. With the identity module installed (<c>GET /api/me</c> answers
/// 401 to a stranger) it is the real thing: users are provisioned, the browser signs in through the /signin page and API
/// clients through <c>POST /api/auth/signin</c> with the antiforgery header. Before that (404: the open API of the
/// development build) the pages and API clients name the user with the <c>X-Actor</c> development aid.
/// </summary>
public sealed class TestSignIn
{
    private readonly Uri baseAddress;

    private TestSignIn(Uri baseAddress, bool identityInstalled)
    {
        this.baseAddress = baseAddress;
        IdentityInstalled = identityInstalled;
    }

    /// <summary>True when the server has real sign-in (the identity module).</summary>
    public bool IdentityInstalled { get; }

    public static async Task<TestSignIn> DetectAsync(Uri baseAddress)
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        using var response = await http.GetAsync("/api/me");
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => new TestSignIn(baseAddress, identityInstalled: false),
            HttpStatusCode.Unauthorized => new TestSignIn(baseAddress, identityInstalled: true),
            var other => throw new InvalidOperationException($"GET /api/me answered {(int)other} to an anonymous caller; expected 401 (identity) or 404 (open API)."),
        };
    }

    /// <summary>Signs <paramref name="context"/> in as <paramref name="user"/>.</summary>
    public async Task SignInAsync(IBrowserContext context, TestUser user)
    {
        if (!IdentityInstalled)
        {
            var actor = JsonSerializer.Serialize(new { kind = user.Kind, id = user.Id, name = user.Name, accountId = user.AccountId });
            await context.AddInitScriptAsync($"localStorage.setItem('sp.devActor', {JsonSerializer.Serialize(actor)});");
            return;
        }

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
        if (!IdentityInstalled)
        {
            var client = new HttpClient { BaseAddress = baseAddress };
            client.DefaultRequestHeaders.Add("X-Actor", $"{user.Kind}:{user.Id}:{user.Name}");
            return client;
        }

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
