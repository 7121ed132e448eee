using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>Ticket content is shown as text: scripts in a ticket never run in a browser.</summary>
[Collection(WebCollection.Name)]
public sealed class SafeContentTests(WebFixture fixture)
{
    private const string Script = "<script>window.__xss = 'script'; alert('xss')</script>";
    private const string Image = "<img src=x onerror=\"window.__xss = 'img'; alert('xss')\">";
    private const string Svg = "<svg onload=\"window.__xss = 'svg'\"></svg>";
    private const string Link = "javascript:window.__xss='link'";

    [Fact]
    public async Task Xss_PayloadsInSubjectDescriptionAndReplies_ShowAsTextAndNeverRun()
    {
        var account = WebFixture.Unique("xss");
        await fixture.EnsureAccountAsync(account, "Xss Ltd");
        var client = TestUser.Client(WebFixture.Unique("mal"), "Mallory <img src=x onerror=alert(1)>", account);
        var agent = TestUser.Agent("alice", "Alice Agent");
        using var clientApi = await fixture.ApiAsync(client);
        var id = await WebFixture.CreateTicketAsync(clientApi, account, client.Id, $"Help {Script}{Image}",
            $"Description {Image} {Svg} {Link} https://example.test/\"><script>window.__xss='url'</script>");
        await WebFixture.CommentAsync(clientApi, id, $"Reply {Script} {Svg}");
        using var agentApi = await fixture.ApiAsync(agent);
        await WebFixture.CommentAsync(agentApi, id, $"Note {Image}", "internal");
        await WebFixture.Ok(await agentApi.PostAsJsonAsync($"/api/tickets/{id}/assignment", new { group = $"G{Image}", reason = Script }));

        // The pages' Content-Security-Policy would block inline handlers anyway; it is bypassed here so that this test
        // proves the rendering itself is safe (it fails if a page ever puts ticket text into markup).
        await Check(await fixture.OpenAsync(agent, bypassCsp: true), $"/console?accountId={account}", "#queue", $"Help {Script}{Image}");
        await Check(await fixture.OpenAsync(agent, bypassCsp: true), $"/console/tickets/{id}", "#history", $"Reply {Script} {Svg}");
        await Check(await fixture.OpenAsync(agent, bypassCsp: true), $"/console/tickets/{id}", "#description", $"Description {Image} {Svg}");
        await Check(await fixture.OpenAsync(client, bypassCsp: true), "/portal", "#tickets", $"Help {Script}{Image}");
        await Check(await fixture.OpenAsync(client, bypassCsp: true), $"/portal/tickets/{id}", "#conversation", $"Reply {Script} {Svg}");
    }

    private static async Task Check(BrowserSession session, string url, string container, string expectedText)
    {
        await using var _ = session;
        var page = session.Page;
        var dialogs = new List<string>();
        page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            await dialog.DismissAsync();
        };
        await page.GotoReadyAsync(url);
        await Expect(page.Locator(container)).ToContainTextAsync(expectedText);
        // Give error handlers of broken images and any late script a moment to fire.
        await page.WaitForTimeoutAsync(500);
        foreach (var link in await page.Locator("main a[href^='javascript:' i]").AllAsync())
        {
            Assert.Fail($"{url}: a javascript: link was rendered: {await link.GetAttributeAsync("href")}");
        }

        Assert.Null(await page.EvaluateAsync<string?>("() => window.__xss ?? null"));
        Assert.Empty(dialogs);
        Assert.Equal(0, await page.Locator("main script, main img, main svg").CountAsync());
    }

    [Fact]
    public async Task Pages_SendAContentSecurityPolicyThatForbidsInlineScript()
    {
        var account = WebFixture.Unique("csp");
        await fixture.EnsureAccountAsync(account, "Policy Ltd");
        using var anonymous = new HttpClient { BaseAddress = fixture.BaseAddress };
        using var staff = await fixture.ApiAsync(TestUser.Agent("alice", "Alice Agent"));
        using var client = await fixture.ApiAsync(TestUser.Client("pat", "Pat Client", account));
        foreach (var (http, path) in new[]
        {
            (anonymous, "/signin"), (staff, "/console"), (staff, "/console/tickets/1"), (staff, "/console/admin/accounts"),
            (client, "/portal"), (client, "/portal/tickets/1"),
        })
        {
            using var response = await http.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        }

        // The sign-in page's assets load before anyone is signed in.
        using var script = await anonymous.GetAsync("/web/lib/signalr.min.js");
        Assert.True(script.IsSuccessStatusCode, "the SignalR client is served by the host itself, to anyone");
        Assert.Equal("nosniff", string.Join(",", script.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Pages_AreOnlyForTheirUsers()
    {
        var account = WebFixture.Unique("acl");
        await fixture.EnsureAccountAsync(account, "Access Control Ltd");
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.BaseAddress };
        anonymous.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        foreach (var path in new[] { "/console", "/console/tickets/1", "/portal", "/portal/new" })
        {
            using var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal($"/signin?returnUrl={Uri.EscapeDataString(path)}", response.Headers.Location?.OriginalString);
        }

        using var client = await fixture.ApiAsync(TestUser.Client("pat", "Pat Client", account));
        using var console = await client.GetAsync("/console");
        Assert.Equal("/portal", console.RequestMessage?.RequestUri?.AbsolutePath); // a client user is sent to the portal
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/web/js/portal.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/web/js/no-such-file.js")).StatusCode);
    }
}
