using System.Net;
using System.Net.Http.Json;
using SupportPlatform.Core.Security;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

public sealed class SqliteSignInTests(SqliteIdentity fixture) : SignInTests(fixture), IClassFixture<SqliteIdentity>;

public sealed class PostgreSqlSignInTests(PostgreSqlIdentity fixture) : SignInTests(fixture), IClassFixture<PostgreSqlIdentity>;

/// <summary>Password sign-in with the cookie, sign-out, CSRF on cookie requests, and the audit of sign-ins.</summary>
public abstract class SignInTests(IdentityFixture fixture)
{
    [Fact]
    public async Task SignIn_RightPassword_HttpOnlyCookieAndMe()
    {
        using var browser = fixture.Factory.Users.Anonymous();

        var response = await browser.PostAsJsonAsync("/api/auth/signin", new { email = PlatformUsers.AdminEmail.ToUpperInvariant(), password = PlatformUsers.AdminPassword });
        var body = await response.Ok(200);
        var me = await (await browser.GetAsync("/api/me")).Ok(200);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sp.auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(("admin", "staff", PlatformUsers.AdminEmail), (body.Str("id"), body.Str("kind"), body.Str("email")));
        Assert.Equal(["admin", "senior", "agent"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, me.GetProperty("accountId").ValueKind);
    }

    [Fact]
    public async Task SignIn_WrongPassword_401AndFailureAuditedWithAddress()
    {
        using var browser = fixture.Factory.Users.Anonymous();
        await fixture.Factory.Users.StaffTokenAsync(PlatformRoles.Agent, "wrong-pw-" + fixture.Provider.ToString().ToLowerInvariant());

        var problem = await (await browser.PostAsJsonAsync("/api/auth/signin", new { email = $"wrong-pw-{fixture.Provider.ToString().ToLowerInvariant()}@staff.tests.example", password = "not the password" })).Problem(401);
        var unknown = await (await browser.PostAsJsonAsync("/api/auth/signin", new { email = "nobody@tests.example", password = "whatever-it-is" })).Problem(401);
        await fixture.FlushAsync();
        var audit = await (await fixture.Admin.GetAsync("/api/admin/audit?action=signin.failed&pageSize=100")).Ok(200);

        Assert.Equal("The email or password is wrong.", problem.Str("detail"));
        Assert.Equal(problem.Str("detail"), unknown.Str("detail"));
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.Str("detail").Contains("nobody@tests.example: unknown email", StringComparison.Ordinal));
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.Str("detail").Contains("wrong password", StringComparison.Ordinal)
            && e.GetProperty("ip").GetString() == "127.0.0.1");
    }

    [Fact]
    public async Task SignOut_CookieSession_MeAnswers401()
    {
        using var browser = await fixture.Factory.Users.SignInAsync(PlatformUsers.AdminEmail, PlatformUsers.AdminPassword);
        await (await browser.GetAsync("/api/me")).Ok(200);

        await (await browser.PostAsync("/api/auth/signout", null)).Ok(204);

        await (await browser.GetAsync("/api/me")).Problem(401);
    }

    [Fact]
    public async Task CookieRequest_UnsafeWithoutAntiforgeryHeader_403ThenAcceptedWithIt()
    {
        using var browser = fixture.Factory.Users.Anonymous();
        await (await browser.PostAsJsonAsync("/api/auth/signin", new { email = PlatformUsers.AdminEmail, password = PlatformUsers.AdminPassword })).Ok(200);

        var refused = await (await browser.PutAsJsonAsync("/api/accounts/csrf-test", new { name = "CSRF", timeZone = "Europe/London" })).Problem(403);
        var antiforgery = await browser.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/auth/antiforgery");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/accounts/csrf-test") { Content = JsonContent.Create(new { name = "CSRF", timeZone = "Europe/London" }) };
        request.Headers.Add(antiforgery.Str("headerName"), antiforgery.Str("token"));
        var accepted = await browser.SendAsync(request);

        Assert.Equal("antiforgery", refused.Str("code"));
        Assert.Equal("X-CSRF-TOKEN", antiforgery.Str("headerName"));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task BearerRequest_UnsafeWithoutAntiforgeryHeader_Accepted()
    {
        var response = await fixture.Admin.PutAsJsonAsync("/api/accounts/bearer-test", new { name = "Bearer", timeZone = "Europe/London" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Unauthenticated_ApiCall_401ProblemSaysHowToSignIn()
    {
        using var anonymous = fixture.Factory.Users.Anonymous();

        var problem = await (await anonymous.GetAsync("/api/tickets")).Problem(401);
        var badToken = await (await fixture.Factory.CreateClient("spt_not-a-real-token-at-all").GetAsync("/api/tickets")).Problem(401);

        Assert.Contains("POST /api/auth/signin", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("The API token is unknown or revoked.", badToken.Str("detail"));
    }

    [Fact]
    public async Task OpenApi_Document_ShowsCookieAndBearerSchemes()
    {
        var document = await (await fixture.Admin.GetAsync("/openapi/v1.json")).Ok(200);

        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("cookie", schemes.GetProperty("cookie").Str("in"));
        Assert.Equal("bearer", schemes.GetProperty("bearer").Str("scheme"));
        var listTickets = document.GetProperty("paths").GetProperty("/api/tickets").GetProperty("get");
        Assert.Equal(2, listTickets.GetProperty("security").GetArrayLength());
        Assert.False(document.GetProperty("paths").GetProperty("/api/auth/signin").GetProperty("post").TryGetProperty("security", out _));
    }
}
