using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

public sealed class SqliteLinkTests(SqliteIdentity fixture) : LinkTests(fixture), IClassFixture<SqliteIdentity>;

public sealed class PostgreSqlLinkTests(PostgreSqlIdentity fixture) : LinkTests(fixture), IClassFixture<PostgreSqlIdentity>;

/// <summary>One-time email links for client users, through the mail outbox contract (a recording outbox here).</summary>
public abstract class LinkTests(IdentityFixture fixture)
{
    private HttpClient Browser() => fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    [Fact]
    public async Task Link_KnownClientUser_MailedLinkSignsInOnceAndRedirectsToPortal()
    {
        await fixture.Admin.PostAsJsonAsync("/api/accounts/acme/users", new { id = "link-user", email = "link.user@acme.example", name = "Link User", sendInvitation = false });
        using var browser = Browser();

        var requested = await browser.PostAsJsonAsync("/api/auth/link", new { email = "Link.User@acme.example" });
        var link = fixture.Mail.LinkTo("link.user@acme.example");
        // Opening the link (as a mail scanner would, twice) shows a button and does not use it up.
        var page = await browser.GetAsync(link);
        await browser.GetAsync(link);
        var stillSignedOut = await browser.GetAsync("/api/me");
        var redeemed = await browser.PostAsync(link, null);
        var me = await (await browser.GetAsync("/api/me")).Ok(200);
        using var other = Browser();
        var reused = await other.PostAsync(link, null);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains($"<form class=\"panel\" method=\"post\" action=\"{link}\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, stillSignedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        Assert.Equal("sign-in-link", fixture.Mail.Sent.Last(m => m.To == "link.user@acme.example").Purpose);
        Assert.Equal(HttpStatusCode.Redirect, redeemed.StatusCode);
        Assert.Equal("/portal", redeemed.Headers.Location?.ToString());
        Assert.Equal(("link-user", "client", "acme", false), (me.Str("id"), me.Str("kind"), me.Str("accountId"), me.GetProperty("isManager").GetBoolean()));
        Assert.Equal("/signin?error=link-invalid", reused.Headers.Location?.ToString());
        await (await other.GetAsync("/api/me")).Problem(401);
    }

    [Fact]
    public async Task Link_PostedFromAnotherSite_RefusedAndStillUsable()
    {
        await fixture.Admin.PostAsJsonAsync("/api/accounts/acme/users", new { id = "csrf-user", email = "csrf.user@acme.example", name = "Csrf User", sendInvitation = false });
        using var browser = Browser();
        await browser.PostAsJsonAsync("/api/auth/link", new { email = "csrf.user@acme.example" });
        var link = fixture.Mail.LinkTo("csrf.user@acme.example");

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, link);
        crossSite.Headers.Add("Origin", "https://attacker.example");
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        var refused = await browser.SendAsync(crossSite);
        var signedOut = await browser.GetAsync("/api/me");
        using var sameSite = new HttpRequestMessage(HttpMethod.Post, link);
        sameSite.Headers.Add("Sec-Fetch-Site", "same-origin");
        var redeemed = await browser.SendAsync(sameSite);

        Assert.Contains("only be used from the page it opens", (await refused.Problem(403)).Str("detail"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, signedOut.StatusCode);
        Assert.Equal("/portal", redeemed.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Link_UnknownOrStaffEmail_Same202AndNoMail()
    {
        var before = fixture.Mail.Sent.Count;
        using var browser = Browser();

        var unknown = await browser.PostAsJsonAsync("/api/auth/link", new { email = "stranger@elsewhere.example" });
        var staff = await browser.PostAsJsonAsync("/api/auth/link", new { email = PlatformUsers.AdminEmail });

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (unknown.StatusCode, staff.StatusCode));
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await staff.Content.ReadAsStringAsync());
        Assert.Equal(before, fixture.Mail.Sent.Count);
    }

    [Fact]
    public async Task Invite_MailConfigured_InvitationLinkSignsIn()
    {
        var invited = await (await fixture.Admin.PostAsJsonAsync("/api/accounts/globex/users", new { email = "new.hire@globex.example", name = "New Hire" })).Ok(201);
        using var browser = Browser();

        var redeemed = await browser.PostAsync(fixture.Mail.LinkTo("new.hire@globex.example"), null);
        var me = await (await browser.GetAsync("/api/me")).Ok(200);

        Assert.True(invited.GetProperty("invitationSent").GetBoolean());
        Assert.Equal("invitation", fixture.Mail.Sent.Last(m => m.To == "new.hire@globex.example").Purpose);
        Assert.Equal("/portal", redeemed.Headers.Location?.ToString());
        Assert.Equal(invited.GetProperty("user").Str("id"), me.Str("id"));
    }

    [Fact]
    public async Task Link_StoredAsKeyedHashOnly()
    {
        await fixture.Admin.PostAsJsonAsync("/api/accounts/acme/users", new { id = "hash-user", email = "hash.user@acme.example", name = "Hash User", sendInvitation = false });
        await Browser().PostAsJsonAsync("/api/auth/link", new { email = "hash.user@acme.example" });
        var token = fixture.Mail.LinkTo("hash.user@acme.example")["/auth/link/".Length..];

        var stored = await fixture.Scalar<long>("SELECT count(*) FROM sp_signin_links WHERE user_id = 'hash-user' AND token_hash <> @token", new { token });
        var plain = await fixture.Scalar<long>("SELECT count(*) FROM sp_signin_links WHERE token_hash = @token", new { token });

        Assert.Equal((1L, 0L), (stored, plain));
    }
}

/// <summary>The product's own mail outbox (no stand-in): a link mail is stored durably even with no SMTP server yet, and works.</summary>
public sealed class OutboxLinkTests
{
    [Fact]
    public async Task Link_ThroughTheRealOutbox_StoredWithoutSmtp_AndRedeems()
    {
        await using var host = new PlatformFactory();
        using var admin = await host.CreateStaffClientAsync("admin");
        await (await admin.PutAsJsonAsync("/api/accounts/acme", new { name = "Acme", timeZone = "Europe/London" })).Ok(200);
        await admin.PostAsJsonAsync("/api/accounts/acme/users", new { id = "outbox-user", email = "outbox.user@acme.example", name = "Outbox User", sendInvitation = false });

        var browser = host.Users.Anonymous();
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await browser.PostAsJsonAsync("/api/auth/link", new { email = "outbox.user@acme.example" })).StatusCode);

        var database = host.Services.GetRequiredService<SupportPlatform.Storage.Contracts.IDatabase>();
        await using var connection = await database.OpenConnectionAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT text_body FROM sp_mail_outbox WHERE to_address = 'outbox.user@acme.example' AND status = 'pending'";
        var body = (string)(await query.ExecuteScalarAsync())!;
        var link = System.Text.RegularExpressions.Regex.Match(body, @"/auth/link/[A-Za-z0-9_\-]+").Value;
        Assert.NotEmpty(link);

        var redeem = await host.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).PostAsync(link, null);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, redeem.StatusCode);
        Assert.Equal("/portal", redeem.Headers.Location!.OriginalString);
    }
}
