using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SupportPlatform.Plugins.Ticketing.Tests;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// A host process of its own with the Zendesk plugin loaded (from its build folder, as installed) against a fake
/// Zendesk on loopback (the one the plugin tests use), for the admin's help desk bridge page.
/// </summary>
public sealed class BridgeHostFixture : IAsyncLifetime
{
    public const string Secret = "zendesk-signing-secret-web-0123456789";
    private readonly TempDirectory data = new("sp-web-bridge-");
    private HostProcess? host;

    public FakeZendesk Zendesk { get; private set; } = null!;

    public Uri BaseAddress => host!.BaseAddress;

    public TestSignIn SignIn { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Zendesk = await FakeZendesk.StartAsync();
        var monday = new DateTimeOffset(2026, 10, 5, 9, 0, 0, TimeSpan.Zero);
        Zendesk.Organizations.Add(new JsonObject { ["id"] = 71, ["name"] = "Wayne Enterprises", ["domain_names"] = new JsonArray() });
        Zendesk.Organizations.Add(new JsonObject { ["id"] = 72, ["name"] = "Stark Industries", ["domain_names"] = new JsonArray() });
        Zendesk.AddUser(81, "Bruce", "bruce@wayne-web.example", 71);
        Zendesk.AddUser(82, "Pepper", "pepper@stark-web.example", 72);
        Zendesk.AddUser(89, "Integration", FakeZendesk.ApiEmail, null, "admin");
        Zendesk.AddTicket(91, 81, 71, "Batcave Wi-Fi", "high", monday, "No signal in the cave.");
        Zendesk.AddComment(91, 81, "Still nothing.", true, monday.AddHours(1));
        Zendesk.AddTicket(92, 82, 72, "Suit firmware", "normal", monday.AddDays(1), "Update fails.");
        Zendesk.SetStatus(92, "open", monday.AddDays(1).AddHours(2));

        var env = HostProcess.Environment(data.Path);
        env["SupportPlatform__Plugins__Path"] = Path.Combine(AppContext.BaseDirectory, "zendesk-plugins");
        env["SupportPlatform__Bridge__WorkInterval"] = "00:00:00.200";
        env["SupportPlatform__Bridge__PollInterval"] = "01:00:00";
        env["Plugins__zendesk__url"] = Zendesk.Url.ToString();
        env["Plugins__zendesk__email"] = FakeZendesk.ApiEmail;
        env["Plugins__zendesk__apiToken"] = FakeZendesk.ApiToken;
        env["Plugins__zendesk__webhookSecret"] = Secret;
        env["Plugins__zendesk__pageSize"] = "1";
        host = HostProcess.Start(env);
        await host.WaitReadyAsync(TimeSpan.FromSeconds(60));
        SignIn = await TestSignIn.DetectAsync(BaseAddress);
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }

        await Zendesk.DisposeAsync();
        data.Dispose();
    }
}

/// <summary>The admin's help desk bridge page: import progress with a rate-limit wait, pause and resume, the sync queue's failed rows and "retry now".</summary>
[Collection(WebCollection.Name)]
public sealed class BridgePagesTests(WebFixture web, BridgeHostFixture bridge) : IClassFixture<BridgeHostFixture>
{
    [Fact]
    public async Task BridgePage_ShowsImportProgressWaitAndErrors_PauseResume_RetryFailedRow()
    {
        var zendesk = bridge.Zendesk;
        using var api = await bridge.SignIn.ApiClientAsync(TestUser.Admin);

        // The first organisations request is rate-limited for an hour: the import waits, and the page says so.
        zendesk.RetryAfterSeconds = 3600;
        zendesk.RateLimits["/api/v2/organizations.json"] = 1;
        await WebFixture.Ok(await api.PostAsJsonAsync("/api/admin/bridge/zendesk/import", new { }));
        await UntilAsync(api, b => b["import"]?["waitingUntil"] is not null, "the import to wait for the rate limit");

        var context = await web.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = bridge.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            BypassCSP = true, // for axe, injected inline
        });
        context.SetDefaultTimeout(10_000);
        await using var session = new BrowserSession(context, await SignedInPageAsync(context), []);
        var page = session.Page;
        page.PageError += (_, error) => session.Errors.Add(error);
        await page.GotoReadyAsync("/console/admin/bridge?refresh=1");
        var section = page.Locator("#bridge-zendesk");
        var state = section.Locator("strong.state");
        await Expect(page.Locator("nav.admin-nav a[aria-current='page']")).ToHaveTextAsync("Help desk bridge");
        await Expect(section.Locator("h2")).ToHaveTextAsync("Zendesk");
        await Expect(state).ToHaveTextAsync("running");
        await Expect(section).ToContainTextAsync("rate-limited by Zendesk: waiting 3600 s");
        await Expect(section.Locator("dd", new() { HasText = "(in " })).ToHaveCountAsync(1); // waiting until, an hour from now

        // Pause and resume: the page shows each; resumed, the import still honours the wait.
        await section.GetByRole(AriaRole.Button, new() { Name = "Pause import" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("paused");
        Assert.Equal("paused", (string?)(await api.GetFromJsonAsync<JsonNode>("/api/admin/bridge/zendesk"))!["import"]!["state"]);
        await section.GetByRole(AriaRole.Button, new() { Name = "Resume import" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("running");
        await Expect(section.Locator("dd", new() { HasText = "(in " })).ToHaveCountAsync(1);

        // Starting over asks again at once and runs the import to the end of the export.
        await section.GetByRole(AriaRole.Button, new() { Name = "Start over" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("caught up", new() { Timeout = 30_000 });
        await Expect(section).ToContainTextAsync("yes: polling for later changes");
        await Expect(section.Locator("dd", new() { HasText = "2 accounts, 2 contacts, 2 tickets" })).ToHaveCountAsync(1);
        await Expect(section.Locator("code")).Not.ToHaveTextAsync("(start of the phase)"); // the export's cursor, kept for polling
        await Expect(section).ToContainTextAsync("Nothing waiting");

        // A reply on the platform meets a rate limit of an hour, then Zendesk's refusal: each error is on the row.
        var link = await api.GetFromJsonAsync<JsonNode>("/api/admin/bridge/zendesk/tickets/92");
        var ticketId = (long)link!["ticketId"]!;
        zendesk.RetryAfterSeconds = 3600;
        zendesk.RateLimits["/api/v2/tickets/92.json"] = 1;
        zendesk.Invalid[92] = true;
        await WebFixture.CommentAsync(api, ticketId, "Firmware 2.1 fixes the update.");
        var row = section.Locator("table.queue tbody tr");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Expect(row).ToContainTextAsync($"#{ticketId}");
        await Expect(row).ToContainTextAsync("Rate limit exceeded", new() { Timeout = 20_000 });
        await Expect(row.Locator("td[data-label='Next try']")).ToContainTextAsync("(in 1 h");

        // Retry now: the hour is cut short; Zendesk refuses the comment, its words replace the rate-limit message.
        await row.GetByRole(AriaRole.Button, new() { Name = $"Retry now: out {ticketId}" }).ClickAsync();
        await Expect(row).ToContainTextAsync("RecordInvalid", new() { Timeout = 20_000 });
        await Expect(row.Locator("td[data-label='Attempts']")).ToHaveTextAsync("1");
        var violations = await PageChecks.AxeViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));

        // Zendesk accepts again: the next try delivers it and the queue empties.
        zendesk.Invalid.TryRemove(92, out _);
        await Expect(section).ToContainTextAsync("Nothing waiting", new() { Timeout = 30_000 });
        Assert.Contains(zendesk.CommentsOf(92), c => ((string)c["body"]!).Contains("Firmware 2.1 fixes the update.", StringComparison.Ordinal));
        Assert.Empty(session.Errors);
    }

    private async Task<IPage> SignedInPageAsync(IBrowserContext context)
    {
        await bridge.SignIn.SignInAsync(context, TestUser.Admin);
        return await context.NewPageAsync();
    }

    private static async Task<JsonNode> UntilAsync(HttpClient api, Func<JsonNode, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var body = (await api.GetFromJsonAsync<JsonNode>("/api/admin/bridge/zendesk"))!;
            if (done(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}: {body.ToJsonString()}");
            await Task.Delay(100);
        }
    }
}
