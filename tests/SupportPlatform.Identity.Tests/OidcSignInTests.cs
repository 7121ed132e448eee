using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

/// <summary>
/// A real OpenID Connect provider (Debian's glewlwyd, own process, own SQLite database) and one real host process on a
/// loopback port configured to sign staff in through it. Provider users: alice (a staff user of the platform, matched by
/// email in another letter case, with no local password), bob (no user of the platform), carol (a deactivated staff
/// user), dana (a client user of the platform, not staff), erin (no email at the provider: her id token's email is empty)
/// and frank (a staff user whose email the provider marks unverified: <c>email_verified: false</c>; alice's is true).
/// </summary>
public abstract class OidcProviderFixture(DatabaseProvider database) : IAsyncLifetime
{
    public const string ClientId = "supportplatform";
    public const string ClientSecret = "glewlwyd-client-secret-0123456789";
    public const string Password = "provider-password-1";
    public static readonly string[] Scopes = ["openid", "profile", "email"];

    private readonly TempDirectory data = new("sp-oidc-");

    public GlewlwydServer Provider { get; private set; } = null!;

    public HostProcess Host { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>The redirect URI registered at the provider: the platform's default callback path.</summary>
    public Uri Callback { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Provider = await GlewlwydServer.StartAsync();
        var port = PlatformFactory.FreePort();
        Callback = new Uri($"http://127.0.0.1:{port}/auth/oidc/callback");
        var postgres = database == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("oidc") : null;
        var environment = HostProcess.Environment(data.Path, postgres);
        environment["SupportPlatform__Identity__Oidc__Authority"] = Provider.Issuer();
        environment["SupportPlatform__Identity__Oidc__ClientId"] = ClientId;
        environment["SupportPlatform__Identity__Oidc__ClientSecret"] = ClientSecret;
        // The provider is on plain http (loopback): allowed only by this explicit setting.
        environment["SupportPlatform__Identity__Oidc__RequireHttpsMetadata"] = "false";
        Host = HostProcess.Start(environment, port);

        // The provider is configured while the host starts: the host reads its discovery document at the first sign-in.
        using (var key = RSA.Create(2048))
        {
            await Provider.AddOidcPluginAsync(key);
        }

        await Provider.EnableEmailVerifiedAsync();
        await Provider.AddScopeAsync("profile");
        await Provider.AddScopeAsync("email");
        await Provider.AddConfidentialClientAsync(ClientId, ClientSecret, Callback);
        string[] userScopes = ["g_profile", .. Scopes];
        await Provider.AddUserAsync("alice", Password, "Alice.Agent@MSP.example", "Alice Agent", userScopes, emailVerified: true);
        await Provider.AddUserAsync("frank", Password, "frank@msp.example", "Frank Unverified", userScopes, emailVerified: false);
        await Provider.AddUserAsync("bob", Password, "bob@elsewhere.example", "Bob Nobody", userScopes);
        await Provider.AddUserAsync("carol", Password, "carol@msp.example", "Carol Gone", userScopes);
        await Provider.AddUserAsync("dana", Password, "dana@acme.example", "Dana Client", userScopes);
        await Provider.AddUserAsync("erin", Password, null, "Erin Without Email", userScopes);

        await Host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Admin = Host.Users.WithToken(await Host.Users.AdminTokenAsync());
        await Admin.PostAsJsonAsync("/api/staff", new { id = "alice", email = "alice.agent@msp.example", name = "Alice Agent", role = "agent" }).Ok();
        await Admin.PostAsJsonAsync("/api/staff", new { id = "carol", email = "carol@msp.example", name = "Carol Gone", role = "agent" }).Ok();
        await Admin.PatchAsJsonAsync("/api/staff/carol", new { active = false }).Ok();
        await Admin.PostAsJsonAsync("/api/staff", new { id = "frank", email = "frank@msp.example", name = "Frank Unverified", role = "agent" }).Ok();
        await Admin.EnsureAccount("acme");
        await Admin.PostAsJsonAsync("/api/accounts/acme/users", new { id = "dana", email = "dana@acme.example", name = "Dana Client" }).Ok();
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
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

    /// <summary>What the host and the provider logged, for failure messages.</summary>
    public string Logs => $"--- host ---\n{Host.Output}\n--- glewlwyd ---\n{Provider.ReadLog()}";
}

public sealed class SqliteOidcProvider() : OidcProviderFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlOidcProvider() : OidcProviderFixture(DatabaseProvider.PostgreSql);

public sealed class SqliteOidcSignInTests(SqliteOidcProvider fixture) : OidcSignInTests(fixture), IClassFixture<SqliteOidcProvider>;

public sealed class PostgreSqlOidcSignInTests(PostgreSqlOidcProvider fixture) : OidcSignInTests(fixture), IClassFixture<PostgreSqlOidcProvider>;

/// <summary>
/// Sign-in through the live provider: the code flow as a browser follows it, the mapping to staff users, refusals and
/// tampering; on both back-ends (the user lookup, the sign-in record and the audit log are in the database).
/// </summary>
public abstract class OidcSignInTests(OidcProviderFixture fixture)
{
    private GlewlwydServer Provider => fixture.Provider;

    private Uri Platform(string path) => new(fixture.Host.BaseAddress, path);

    [Fact]
    public async Task StaffUser_SignsInAtTheProvider_AndTheSessionIsThatStaffUser()
    {
        using var browser = GlewlwydServer.Browser();
        var flow = await AuthorizeAtProviderAsync(browser, "alice", "/console/tickets");

        // The correlation and nonce cookies must come back on this plain-http host: not Secure, and SameSite=Lax for
        // the provider's top-level redirect.
        var cookies = flow.Start.Headers.GetValues("Set-Cookie").Where(c => c.StartsWith(".AspNetCore.", StringComparison.Ordinal)).ToList();
        Assert.Contains(cookies, c => c.StartsWith(".AspNetCore.Correlation.", StringComparison.Ordinal));
        Assert.Contains(cookies, c => c.StartsWith(".AspNetCore.OpenIdConnect.Nonce.", StringComparison.Ordinal));
        Assert.All(cookies, c => Assert.Contains("samesite=lax", c, StringComparison.OrdinalIgnoreCase));
        Assert.All(cookies, c => Assert.DoesNotContain("secure", c, StringComparison.OrdinalIgnoreCase));

        using var back = await browser.GetAsync(flow.Callback);
        Assert.True(back.StatusCode == HttpStatusCode.Redirect, $"{(int)back.StatusCode} {await back.Content.ReadAsStringAsync()}\n{fixture.Logs}");
        Assert.Equal("/console/tickets", back.Headers.Location?.OriginalString);

        var me = await browser.GetAsync(Platform("/api/me")).Ok();
        Assert.Equal("alice", me.Str("id"));
        Assert.Equal("alice.agent@msp.example", me.Str("email"));
        Assert.Equal("staff", me.Str("kind"));
        Assert.Contains("agent", me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        var audit = await fixture.Admin.GetAsync("/api/admin/audit?action=signin.succeeded&target=alice").Ok();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.Str("detail") == "single sign-on for alice.agent@msp.example");

        // The same answer from the provider again, in another browser: no correlation cookie there, so nothing happens.
        using var replay = GlewlwydServer.Browser();
        Assert.Equal("/signin?error=sso-failed", await FinalRedirectAsync(replay, flow.Callback));
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync(Platform("/api/me"))).StatusCode);
    }

    [Fact]
    public async Task SignInPage_IsToldWhereSingleSignOnStarts()
    {
        using var anonymous = GlewlwydServer.Browser();
        var methods = await anonymous.GetAsync(Platform("/api/auth/methods")).Ok();
        Assert.Equal("/auth/oidc", methods.GetProperty("singleSignOn").Str("url"));
        Assert.Equal("Single sign-on", methods.GetProperty("singleSignOn").Str("name"));
    }

    [Fact]
    public async Task ProviderUserWithoutStaffUser_IsRefused_AndNoUserIsCreated()
    {
        foreach (var (username, email) in new[] { ("bob", "bob@elsewhere.example"), ("dana", "dana@acme.example") })
        {
            using var browser = GlewlwydServer.Browser();
            var flow = await AuthorizeAtProviderAsync(browser, username);
            Assert.Equal("/signin?error=sso-no-staff-user", await FinalRedirectAsync(browser, flow.Callback));
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(Platform("/api/me"))).StatusCode);

            var audit = await fixture.Admin.GetAsync("/api/admin/audit?action=signin.failed").Ok();
            Assert.Contains(audit.GetProperty("items").EnumerateArray(),
                e => e.Str("detail") == $"single sign-on refused: no staff user has the email '{email}'; an administrator must create one first");
        }

        var staff = await fixture.Admin.GetAsync("/api/staff").Ok();
        Assert.DoesNotContain(staff.EnumerateArray(), u => u.Str("email") is "bob@elsewhere.example" or "dana@acme.example");
        var clients = await fixture.Admin.GetAsync("/api/accounts/acme/users").Ok();
        Assert.Equal(["dana@acme.example"], clients.EnumerateArray().Select(u => u.Str("email")));
    }

    [Fact]
    public async Task ProviderUserWithoutEmail_IsRefused()
    {
        using var browser = GlewlwydServer.Browser();
        var flow = await AuthorizeAtProviderAsync(browser, "erin");
        Assert.Equal("/signin?error=sso-no-email", await FinalRedirectAsync(browser, flow.Callback));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(Platform("/api/me"))).StatusCode);

        var audit = await fixture.Admin.GetAsync("/api/admin/audit?action=signin.failed").Ok();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.Str("detail") is { } detail
            && detail.StartsWith("single sign-on refused: the provider's id token for subject '", StringComparison.Ordinal)
            && detail.EndsWith("' has no 'email' claim (SupportPlatform:Identity:Oidc:EmailClaim)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnverifiedEmail_IsRefused_EvenForAStaffUser()
    {
        using var browser = GlewlwydServer.Browser();
        var flow = await AuthorizeAtProviderAsync(browser, "frank");
        Assert.Equal("/signin?error=sso-email-unverified", await FinalRedirectAsync(browser, flow.Callback));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(Platform("/api/me"))).StatusCode);

        var audit = await fixture.Admin.GetAsync("/api/admin/audit?action=signin.failed").Ok();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(),
            e => e.Str("detail") == "single sign-on refused: the provider says the email 'frank@msp.example' is not verified");
    }

    [Fact]
    public async Task DeactivatedStaffUser_IsRefused()
    {
        using var browser = GlewlwydServer.Browser();
        var flow = await AuthorizeAtProviderAsync(browser, "carol");
        Assert.Equal("/signin?error=sso-deactivated", await FinalRedirectAsync(browser, flow.Callback));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(Platform("/api/me"))).StatusCode);

        var audit = await fixture.Admin.GetAsync("/api/admin/audit?action=signin.failed&target=carol").Ok();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(),
            e => e.Str("detail") == "single sign-on refused: the staff user 'carol' with the email 'carol@msp.example' is deactivated");
    }

    [Fact]
    public async Task TamperedCallbacks_FailCleanly_AndTheGenuineOneStillWorks()
    {
        using var browser = GlewlwydServer.Browser();
        var flow = await AuthorizeAtProviderAsync(browser, "alice");
        var genuine = QueryHelpers.ParseQuery(flow.Callback.Query);
        var state = genuine["state"].ToString();
        var code = genuine["code"].ToString();
        var tampered = state[..^4] + (state.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        foreach (var query in new[]
        {
            $"?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(tampered)}",
            $"?code={Uri.EscapeDataString(code)}",
            "",
        })
        {
            var location = await FinalRedirectAsync(browser, new Uri(fixture.Callback + query));
            Assert.True(location == "/signin?error=sso-failed", $"callback{query}: {location}\n{fixture.Logs}");
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(Platform("/api/me"))).StatusCode);
        }

        // A wrong state never reached the correlation check, so the provider's real answer still signs alice in.
        Assert.Equal("/console", await FinalRedirectAsync(browser, flow.Callback));
        Assert.Equal("alice", (await browser.GetAsync(Platform("/api/me")).Ok()).Str("id"));

        // The genuine state with a code the provider never issued (the token request fails), or with the provider's
        // error answer (as when the user declines): no session either way.
        foreach (var answer in new[] { "code=forged-code-0123456789", "error=access_denied&error_description=The+user+declined" })
        {
            using var other = GlewlwydServer.Browser();
            var second = QueryHelpers.ParseQuery((await AuthorizeAtProviderAsync(other, "alice")).Callback.Query);
            var forged = new Uri($"{fixture.Callback}?{answer}&state={Uri.EscapeDataString(second["state"].ToString())}");
            Assert.Equal("/signin?error=sso-failed", await FinalRedirectAsync(other, forged));
            Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync(Platform("/api/me"))).StatusCode);
        }
    }

    private sealed record Flow(HttpResponseMessage Start, Uri Callback);

    /// <summary>
    /// As a browser: GET /auth/oidc on the platform, follow to the provider, which sends an unknown browser to its login
    /// page; sign in and grant the scopes through the provider's login API as that page does, continue the authorization
    /// request, and stop at the provider's redirect back to the platform's callback (returned, not followed).
    /// </summary>
    private async Task<Flow> AuthorizeAtProviderAsync(HttpClient browser, string username, string returnUrl = "/console")
    {
        var start = await browser.GetAsync(Platform("/auth/oidc?returnUrl=" + Uri.EscapeDataString(returnUrl)));
        Assert.True(start.StatusCode == HttpStatusCode.Redirect, $"{(int)start.StatusCode} {await start.Content.ReadAsStringAsync()}\n{fixture.Logs}");
        var authorize = start.Headers.Location!;
        Assert.StartsWith(Provider.Issuer() + "/auth", authorize.GetLeftPart(UriPartial.Path), StringComparison.Ordinal);
        var request = QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal(OidcProviderFixture.ClientId, request["client_id"]);
        Assert.Equal("code", request["response_type"]);
        Assert.Equal(fixture.Callback.ToString(), request["redirect_uri"]);
        Assert.Equal("S256", request["code_challenge_method"]);
        Assert.Equal(OidcProviderFixture.Scopes, request["scope"].ToString().Split(' '));

        using var toLogin = await browser.GetAsync(authorize);
        Assert.True(toLogin.StatusCode == HttpStatusCode.Redirect, $"provider: {(int)toLogin.StatusCode} {await toLogin.Content.ReadAsStringAsync()}\n{Provider.ReadLog()}");
        var login = toLogin.Headers.Location!;
        Assert.Equal("/login.html", login.AbsolutePath);
        var resume = QueryHelpers.ParseQuery(login.Query)["callback_url"].ToString();

        await Provider.SignInAsync(browser, username, OidcProviderFixture.Password);
        await Provider.GrantAsync(browser, OidcProviderFixture.ClientId, OidcProviderFixture.Scopes);
        using var answer = await browser.GetAsync(resume + "&g_continue");
        Assert.True(answer.StatusCode == HttpStatusCode.Redirect, $"provider: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}\n{Provider.ReadLog()}");
        var callback = answer.Headers.Location!;
        Assert.Equal(fixture.Callback.ToString(), callback.GetLeftPart(UriPartial.Path));
        Assert.False(string.IsNullOrEmpty(QueryHelpers.ParseQuery(callback.Query)["code"]), callback.ToString());
        return new Flow(start, callback);
    }

    /// <summary>Where the platform's answer to <paramref name="url"/> redirects (a 500 or any other answer fails the test).</summary>
    private async Task<string> FinalRedirectAsync(HttpClient browser, Uri url)
    {
        using var response = await browser.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{fixture.Logs}");
        return response.Headers.Location!.OriginalString;
    }
}

internal static class OidcTestHttp
{
    /// <summary>The body of a successful answer (see <see cref="Http.Ok"/>), straight from the request's task.</summary>
    public static async Task<JsonElement> Ok(this Task<HttpResponseMessage> request)
    {
        using var response = await request;
        return await response.Ok();
    }
}
