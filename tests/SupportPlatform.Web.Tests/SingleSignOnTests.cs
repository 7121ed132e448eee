using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// A real OpenID Connect provider (Debian's glewlwyd) and a host configured to use it, on their own (the shared web host
/// has no single sign-on), with one headless Chromium. Provider users: alice (a staff user of the platform) and bob
/// (none).
/// </summary>
public sealed class SingleSignOnFixture : IAsyncLifetime
{
    public const string ClientId = "supportplatform";
    public const string Password = "provider-password-1";
    public static readonly string[] Scopes = ["openid", "profile", "email"];
    private const string ClientSecret = "glewlwyd-client-secret-0123456789";

    private readonly TempDirectory data = new("sp-web-sso-");
    private IPlaywright? playwright;

    public GlewlwydServer Provider { get; private set; } = null!;

    public HostProcess Host { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(WebFixture.ChromiumPath))
        {
            throw new InvalidOperationException($"{WebFixture.ChromiumPath} is missing: install Debian's chromium package (scripts/test does it).");
        }

        Provider = await GlewlwydServer.StartAsync();
        var port = PlatformFactory.FreePort();
        var environment = HostProcess.Environment(data.Path);
        environment["SupportPlatform__Identity__Oidc__Authority"] = Provider.Issuer();
        environment["SupportPlatform__Identity__Oidc__ClientId"] = ClientId;
        environment["SupportPlatform__Identity__Oidc__ClientSecret"] = ClientSecret;
        environment["SupportPlatform__Identity__Oidc__RequireHttpsMetadata"] = "false";
        Host = HostProcess.Start(environment, port);

        using (var key = RSA.Create(2048))
        {
            await Provider.AddOidcPluginAsync(key);
        }

        await Provider.AddScopeAsync("profile");
        await Provider.AddScopeAsync("email");
        await Provider.AddConfidentialClientAsync(ClientId, ClientSecret, new Uri($"http://127.0.0.1:{port}/auth/oidc/callback"));
        string[] userScopes = ["g_profile", .. Scopes];
        await Provider.AddUserAsync("alice", Password, "alice@msp.example", "Alice Agent", userScopes);
        await Provider.AddUserAsync("bob", Password, "bob@elsewhere.example", "Bob Nobody", userScopes);

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = WebFixture.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });

        await Host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var admin = Host.Users.WithToken(await Host.Users.AdminTokenAsync());
        await WebFixture.Ok(await admin.PostAsJsonAsync("/api/staff", new { id = "alice", email = "alice@msp.example", name = "Alice Agent", role = "agent" }));
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        if (Provider is not null)
        {
            await Provider.DisposeAsync();
        }

        data.Dispose();
    }
}

/// <summary>Single sign-on in Chromium: the browser follows the platform's and the provider's redirects with real cookie rules.</summary>
public sealed class SingleSignOnTests(SingleSignOnFixture fixture) : IClassFixture<SingleSignOnFixture>
{
    [Fact]
    public async Task StaffUser_SignsInThroughTheProvider_AndLandsInTheConsole()
    {
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoReadyAsync("/signin?returnUrl=" + Uri.EscapeDataString("/console/kb"));
        var link = page.GetByRole(AriaRole.Link, new() { Name = "Staff: sign in with Single sign-on" });
        await SignInAtProviderAsync(context, page, "alice", () => link.ClickAsync());

        await page.WaitForURLAsync("**/console/kb");
        var me = await context.APIRequest.GetAsync(new Uri(fixture.Host.BaseAddress, "/api/me").ToString());
        Assert.Equal(200, me.Status);
        var body = JsonDocument.Parse(await me.TextAsync()).RootElement;
        Assert.Equal("alice", body.GetProperty("id").GetString());
        Assert.Equal("staff", body.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task ProviderUserWithoutStaffUser_IsSentToTheSignInPage_WithTheReason()
    {
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await SignInAtProviderAsync(context, page, "bob", () => page.GotoAsync("/auth/oidc?returnUrl=/console"));

        await page.WaitForURLAsync("**/signin?error=sso-no-staff-user");
        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("no staff user here has your email address");
        var me = await context.APIRequest.GetAsync(new Uri(fixture.Host.BaseAddress, "/api/me").ToString());
        Assert.Equal(401, me.Status);
    }

    private async Task<IBrowserContext> NewContextAsync()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.Host.BaseAddress.ToString() });
        context.SetDefaultTimeout(10_000);
        return context;
    }

    /// <summary>
    /// Starts single sign-on with <paramref name="start"/>, which leads the browser to the provider's login page. The Debian package cannot serve that page
    /// (its config.json is a dangling link and its scripts are left out without the recommended packages), so the test
    /// signs in and grants the scopes through the provider's login API in the same browser context (same cookies), then
    /// lets the browser continue the authorization request, as the page would, and follow the redirects home.
    /// </summary>
    private async Task SignInAtProviderAsync(IBrowserContext context, IPage page, string username, Func<Task> start)
    {
        var loginRequest = page.WaitForRequestAsync(request => request.Url.Contains("/login.html", StringComparison.Ordinal));
        try
        {
            await start();
        }
        catch (PlaywrightException)
        {
            // The provider's login page answers 404 (not served), which Chromium reports as a failed navigation.
        }

        var login = new Uri((await loginRequest).Url);
        Assert.Equal(fixture.Provider.BaseAddress.Authority, login.Authority);
        var resume = QueryHelpers.ParseQuery(login.Query)["callback_url"].ToString();
        Assert.StartsWith(fixture.Provider.Issuer() + "/auth?", resume, StringComparison.Ordinal);

        var api = new Uri(fixture.Provider.BaseAddress, "api/").ToString();
        var signIn = await context.APIRequest.PostAsync(api + "auth/", new() { DataObject = new { username, password = SingleSignOnFixture.Password } });
        Assert.True(signIn.Ok, $"provider sign-in: {signIn.Status} {await signIn.TextAsync()}");
        var grant = await context.APIRequest.PutAsync(api + "auth/grant/" + SingleSignOnFixture.ClientId,
            new() { DataObject = new { scope = string.Join(' ', SingleSignOnFixture.Scopes) } });
        Assert.True(grant.Ok, $"provider grant: {grant.Status} {await grant.TextAsync()}");

        await page.GotoAsync(resume + "&g_continue");
    }
}
