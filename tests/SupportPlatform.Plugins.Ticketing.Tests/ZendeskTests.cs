using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Bridge;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Ticketing.Tests;

/// <summary>
/// The Zendesk plugin in the real host (in-process, on PostgreSQL) against a fake Zendesk: a history of 5 tickets is
/// imported at 2 per page, the first organisations request is rate-limited (429, Retry-After: 1), and the host is
/// stopped while the second ticket page is in flight, then started again on the same database and data folder.
/// </summary>
public sealed class ZendeskFixture : IAsyncLifetime
{
    public const string Secret = "zendesk-signing-secret-0123456789";
    public const long Acme = 361, Globex = 362;
    public const long Ann = 501, Bob = 502, Nora = 503, ZoeAgent = 601, Integration = 602;

    private readonly TempDirectory data = new("sp-zd-");
    private string postgres = "";

    public FakeZendesk Zendesk { get; private set; } = null!;

    public PlatformFactory Host { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Zoe { get; private set; } = null!;

    /// <summary>Requests the fake saw after the restart.</summary>
    public IReadOnlyList<string> AfterRestart { get; private set; } = [];

    public IReadOnlyList<(string Path, DateTimeOffset At)> OrganizationRequests { get; private set; } = [];

    public static readonly DateTimeOffset Monday = new(2026, 10, 5, 9, 0, 0, TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        Zendesk = await FakeZendesk.StartAsync();
        Zendesk.Organizations.Add(new JsonObject { ["id"] = Acme, ["name"] = "Acme Corp", ["domain_names"] = new JsonArray("acme-zd.example") });
        Zendesk.Organizations.Add(new JsonObject { ["id"] = Globex, ["name"] = "Globex", ["domain_names"] = new JsonArray() });
        Zendesk.AddUser(Ann, "Ann Acme", "ann@acme-zd.example", Acme);
        Zendesk.AddUser(Bob, "Bob Globex", "bob@globex-zd.example", Globex);
        Zendesk.AddUser(Nora, "Nora Nobody", "nora@nowhere-zd.example", null);
        Zendesk.AddUser(ZoeAgent, "Zoe Agent", "zoe@staff.tests.example", null, "agent");
        Zendesk.AddUser(Integration, "Integration", FakeZendesk.ApiEmail, null, "admin");

        // 101: normal, answered after 30 min, solved the same day, closed. 102: urgent, answered after 3 h (breach), with a file.
        Zendesk.AddTicket(101, Ann, Acme, "Printer offline", "normal", Monday, "The printer on floor 2 is offline.");
        Zendesk.AddComment(101, ZoeAgent, "Restarted the print spooler, please try again.", true, Monday.AddMinutes(30));
        Zendesk.SetStatus(101, "solved", Monday.AddHours(6));
        Zendesk.SetStatus(101, "closed", Monday.AddDays(4));
        Zendesk.AddTicket(102, Bob, Globex, "Mail server down", "urgent", Monday.AddDays(1), "Nobody can send mail.");
        Zendesk.AddComment(102, Bob, "Screenshot of the error attached.", true, Monday.AddDays(1).AddMinutes(5), ("error.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]));
        Zendesk.AddComment(102, ZoeAgent, "Internal: the certificate expired.", false, Monday.AddDays(1).AddHours(2));
        Zendesk.AddComment(102, ZoeAgent, "Renewed the certificate; mail flows again.", true, Monday.AddDays(1).AddHours(3));
        Zendesk.SetStatus(102, "solved", Monday.AddDays(1).AddHours(7));
        var november = new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
        Zendesk.AddTicket(103, Ann, Acme, "VPN keeps dropping", "normal", november, "The VPN drops every hour.", assignee: ZoeAgent);
        Zendesk.AddComment(103, ZoeAgent, "Looking into it.", true, november.AddMinutes(45));
        Zendesk.SetStatus(103, "open", november.AddMinutes(45));
        Zendesk.AddTicket(104, Bob, Globex, "New laptop", "low", november.AddDays(1), "Please order a laptop.");
        Zendesk.SetStatus(104, "pending", november.AddDays(1).AddHours(1));
        Zendesk.AddTicket(105, Nora, null, "Password reset", "high", november.AddDays(2), "I forgot my password.");

        Zendesk.RateLimits["/api/v2/organizations.json"] = 1;
        Zendesk.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        postgres = await PostgresServer.Shared.CreateDatabaseAsync("bridge_zd");
        Host = Start();
        Admin = Host.CreateClient(await Host.Users.AdminTokenAsync());
        Zoe = await Host.CreateStaffClientAsync("agent", "zoe", "Zoe Agent");
        await Admin.PostOkAsync("/api/admin/bridge/zendesk/import", new { }, 202);

        // Stopped while the second page of tickets is in flight; the first page is stored.
        await Zendesk.Held.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var before = Zendesk.Requests.Count;
        await Host.DisposeAsync();
        Zendesk.Hold.TrySetResult();
        Zendesk.Hold = null;

        Host = Start();
        Admin = Host.CreateClient(await Host.Users.AdminTokenAsync());
        Zoe = Host.CreateClient(await Host.Users.StaffTokenAsync("agent", "zoe2", "Zoe Two"));
        await TestWait.UntilAsync(Admin, "/api/admin/bridge/zendesk", b => (string?)b["import"]?["state"] == "caught-up", "the import to finish", 60);
        AfterRestart = Zendesk.Requests.Skip(before).ToList();
        OrganizationRequests = Zendesk.RequestTimes.Where(r => r.Path.StartsWith("/api/v2/organizations.json", StringComparison.Ordinal)).ToList();
    }

    private PlatformFactory Start()
    {
        var host = new PlatformFactory(dataPath: data.Path, postgres: postgres, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Plugins:Path"] = Path.Combine(AppContext.BaseDirectory, "zendesk-plugins"),
            ["SupportPlatform:Bridge:WorkInterval"] = "00:00:00.100",
            ["SupportPlatform:Bridge:PollInterval"] = "01:00:00",
            ["Plugins:zendesk:url"] = Zendesk.Url.ToString(),
            ["Plugins:zendesk:email"] = FakeZendesk.ApiEmail,
            ["Plugins:zendesk:apiToken"] = FakeZendesk.ApiToken,
            ["Plugins:zendesk:webhookSecret"] = Secret,
            ["Plugins:zendesk:pageSize"] = "2",
        });
        _ = host.Server;
        return host;
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Zendesk.DisposeAsync();
        data.Dispose();
    }
}

public sealed class ZendeskTests(ZendeskFixture fixture) : IClassFixture<ZendeskFixture>
{
    private readonly HttpClient admin = fixture.Admin;
    private readonly HttpClient staff = fixture.Zoe;
    private readonly FakeZendesk zendesk = fixture.Zendesk;

    [Fact]
    public async Task Import_RateLimitedAndInterrupted_ResumesAtItsCursorAndBringsEverythingOnce()
    {
        // 429 with Retry-After: 1 was honoured: the repeat came a second later.
        Assert.True(fixture.OrganizationRequests.Count >= 2, string.Join(", ", fixture.OrganizationRequests));
        Assert.True(fixture.OrganizationRequests[1].At - fixture.OrganizationRequests[0].At >= TimeSpan.FromSeconds(0.9),
            $"the rate-limited request was repeated after {(fixture.OrganizationRequests[1].At - fixture.OrganizationRequests[0].At).TotalMilliseconds} ms");

        // Resumed at the stored cursor: the restarted host never started the export over, nor re-read organisations and users.
        Assert.DoesNotContain(fixture.AfterRestart, r => r.Contains("start_time=", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.AfterRestart, r => r.StartsWith("GET /api/v2/organizations.json", StringComparison.Ordinal) || r.StartsWith("GET /api/v2/users.json", StringComparison.Ordinal));
        Assert.Contains(fixture.AfterRestart, r => r.Contains("/api/v2/incremental/tickets/cursor.json?cursor=", StringComparison.Ordinal));

        var bridge = await admin.GetFromJsonAsync<JsonNode>("/api/admin/bridge/zendesk");
        Assert.Equal(5, (long)bridge!["linkedTickets"]!);
        Assert.Equal(2, (long)bridge["linkedAccounts"]!);
        Assert.Equal(3, (long)bridge["linkedContacts"]!);
        var tickets = await staff.GetFromJsonAsync<JsonNode>("/api/tickets?tag=zendesk&pageSize=100");
        Assert.Equal(5, (long)tickets!["total"]!);

        // Organisations became accounts, end users contacts (the agent did not).
        var acme = await admin.GetFromJsonAsync<JsonNode>("/api/accounts/zendesk-361");
        Assert.Equal("Acme Corp", (string)acme!["name"]!);
        Assert.Contains("acme-zd.example", acme["emailDomains"]!.AsArray().Select(d => (string)d!));
        var contacts = await admin.GetFromJsonAsync<JsonArray>("/api/accounts/zendesk-361/users");
        Assert.Contains(contacts!, u => (string)u!["email"]! == "ann@acme-zd.example");
        var nobody = await TestWait.LocalTicketAsync(admin, staff, "zendesk", 105);
        Assert.Equal("zendesk-no-organization", (string)nobody["accountId"]!);
    }

    [Fact]
    public async Task ImportedTickets_SlaFiguresComeFromTheirOriginalTimestamps()
    {
        var printer = await TestWait.LocalTicketAsync(admin, staff, "zendesk", 101);
        Assert.Equal(ZendeskFixture.Monday, DateTimeOffset.Parse((string)printer["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ZendeskFixture.Monday.AddMinutes(30), DateTimeOffset.Parse((string)printer["firstResponseAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ZendeskFixture.Monday.AddHours(6), DateTimeOffset.Parse((string)printer["resolvedAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("closed", (string)printer["status"]!);
        var firstResponse = printer["sla"]!.AsArray().Single(c => (string)c!["kind"]! == "first-response")!;
        Assert.False((bool)firstResponse["breached"]!);
        Assert.Equal(ZendeskFixture.Monday.AddMinutes(30), DateTimeOffset.Parse((string)firstResponse["metAt"]!, System.Globalization.CultureInfo.InvariantCulture));

        // Urgent (critical: 1 h to first response around the clock), answered after 3 h: breached, at the time it was.
        var mail = await TestWait.LocalTicketAsync(admin, staff, "zendesk", 102);
        Assert.Equal("critical", (string)mail["priority"]!);
        // Solved long ago: the quiet period (3 days) has passed, so the platform closes it as it would have.
        Assert.Contains((string)mail["status"]!, new[] { "resolved", "closed" });
        Assert.Equal(ZendeskFixture.Monday.AddDays(1).AddHours(7), DateTimeOffset.Parse((string)mail["resolvedAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True((bool)mail["sla"]!.AsArray().Single(c => (string)c!["kind"]! == "first-response")!["breached"]!);
        var history = await staff.GetFromJsonAsync<JsonArray>($"/api/tickets/{(long)mail["id"]!}/history");
        var breach = history!.Select(h => h!["event"]!).First(e => (string)e["kind"]! == "sla-breach" && (string)e["clock"]! == "first-response");
        Assert.Equal(ZendeskFixture.Monday.AddDays(1).AddHours(1), DateTimeOffset.Parse((string)breach["at"]!, System.Globalization.CultureInfo.InvariantCulture));

        // Comments with their authors, visibility and files; the description is not doubled as a comment.
        var comments = history!.Select(h => h!["event"]!).Where(e => (string)e["kind"]! == "comment").ToList();
        Assert.Equal(3, comments.Count);
        Assert.Equal("internal", (string)comments[1]["visibility"]!);
        Assert.Equal("error.png", (string)comments[0]["attachments"]![0]!["fileName"]!);
        using var file = await staff.GetAsync($"/api/tickets/{(long)mail["id"]!}/attachments/{(string)comments[0]["attachments"]![0]!["id"]!}");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(11, (await file.Content.ReadAsByteArrayAsync()).Length);

        // The agent's comments are staff responses (Zoe's address matched the staff user), the requester's a client's.
        Assert.Equal("staff", (string)comments[2]["actor"]!["kind"]!);
        Assert.Equal("zoe", (string)comments[2]["actor"]!["id"]!);
        Assert.Equal("client", (string)comments[0]["actor"]!["kind"]!);
    }

    [Fact]
    public async Task TwoWaySync_CommentsAndStatusBothWays_NoEchoes_LaterChangeWinsConflicts()
    {
        var local = await TestWait.LocalTicketAsync(admin, staff, "zendesk", 103);
        var id = (long)local["id"]!;
        Assert.Equal("open", (string)local["status"]!);

        // Platform -> Zendesk: a public reply becomes a Zendesk comment, once.
        var before = zendesk.CommentsOf(103).Count;
        await staff.PostOkAsync($"/api/tickets/{id}/comments", new { body = "Please update the VPN client to 5.2.", visibility = "public" });
        await TestWait.UntilAsync(() => zendesk.CommentsOf(103).Any(c => ((string)c["body"]!).Contains("Please update the VPN client to 5.2.", StringComparison.Ordinal)), "the reply in Zendesk");

        // Zendesk reports the change back (its webhook): nothing comes back, nothing is sent again.
        var puts = zendesk.Requests.Count(r => r.StartsWith("PUT", StringComparison.Ordinal));
        await WebhookAsync(103);
        await QueueEmptyAsync();
        Assert.Equal(before + 1, zendesk.CommentsOf(103).Count);
        Assert.Equal(puts, zendesk.Requests.Count(r => r.StartsWith("PUT", StringComparison.Ordinal)));
        Assert.Equal(2, await CommentCountAsync(id));

        // Zendesk -> platform: the requester's comment and a status change arrive; nothing is written back.
        zendesk.AddComment(103, ZendeskFixture.Ann, "Updated, still drops.", true, DateTimeOffset.UtcNow, ("vpn.log", "drop at 10:02\n"u8.ToArray()));
        zendesk.SetStatus(103, "pending", DateTimeOffset.UtcNow);
        await WebhookAsync(103);
        await TestWait.UntilAsync(staff, $"/api/tickets/{id}", t => (string)t["status"]! == "pending-client", "the status from Zendesk");
        await QueueEmptyAsync();
        Assert.Equal(3, await CommentCountAsync(id));
        Assert.Equal(puts, zendesk.Requests.Count(r => r.StartsWith("PUT", StringComparison.Ordinal)));
        var synced = (await staff.GetFromJsonAsync<JsonArray>($"/api/tickets/{id}/history"))!.Select(h => h!["event"]!).Last(e => (string)e["kind"]! == "comment");
        Assert.Equal("vpn.log", (string)synced["attachments"]![0]!["fileName"]!);
        using (var file = await staff.GetAsync($"/api/tickets/{id}/attachments/{(string)synced["attachments"]![0]!["id"]!}"))
        {
            Assert.Equal(14, (await file.Content.ReadAsByteArrayAsync()).Length);
        }

        // A refused update keeps its error (Zendesk's own words) and is retried; meanwhile Zendesk changes the status
        // later than the platform did: the later change wins.
        zendesk.Invalid[103] = true;
        await staff.PostOkAsync($"/api/tickets/{id}/status", new { status = "open" });
        var queue = await TestWait.UntilAsync(admin, "/api/admin/bridge/zendesk", b => b["queue"]!.AsArray().Any(q => ((string?)q!["lastError"] ?? "").Contains("RecordInvalid", StringComparison.Ordinal)), "the refused update in the queue");
        Assert.Contains("Ticket is closed and cannot be updated", queue.ToJsonString(), StringComparison.Ordinal);
        await Task.Delay(1100); // Zendesk's times have whole seconds: this change is clearly the later one.
        zendesk.SetStatus(103, "solved", DateTimeOffset.UtcNow);
        zendesk.Invalid.TryRemove(103, out _);
        await WebhookAsync(103);
        await TestWait.UntilAsync(staff, $"/api/tickets/{id}", t => (string)t["status"]! == "resolved", "Zendesk's later status to win");
        await QueueEmptyAsync(seconds: 20);
        Assert.Equal("solved", (string)zendesk.Ticket(103)["status"]!);

        // Now Zendesk's change is the older one (put on hold an hour ago, not yet reported): the platform's reopening wins.
        zendesk.SetStatus(103, "hold", DateTimeOffset.UtcNow.AddHours(-1));
        await staff.PostOkAsync($"/api/tickets/{id}/status", new { status = "open" });
        await TestWait.UntilAsync(() => (string)zendesk.Ticket(103)["status"]! == "open", "the platform's later status in Zendesk");
        await QueueEmptyAsync();
        Assert.Equal("open", (string)(await staff.GetFromJsonAsync<JsonNode>($"/api/tickets/{id}"))!["status"]!);
    }

    [Fact]
    public async Task Webhook_ForgedStaleOrUnsigned_401AndNothingChanges()
    {
        var http = fixture.Host.CreateClient();
        var body = """{"ticket_id":"777"}""";
        using var forged = await http.SendAsync(FakeZendesk.SignedWebhook("another-secret-0123456789", body));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Contains("Wrong signature", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stale = await http.SendAsync(FakeZendesk.SignedWebhook(ZendeskFixture.Secret, body, DateTimeOffset.UtcNow.AddHours(-1)));
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        using var unsigned = await http.PostAsync("/hooks/zendesk/", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        using var tampered = FakeZendesk.SignedWebhook(ZendeskFixture.Secret, body);
        tampered.Content = new StringContent("""{"ticket_id":"778"}""", System.Text.Encoding.UTF8, "application/json");
        using var tamperedResponse = await http.SendAsync(tampered);
        Assert.Equal(HttpStatusCode.Unauthorized, tamperedResponse.StatusCode);
        using var noTicket = await http.SendAsync(FakeZendesk.SignedWebhook(ZendeskFixture.Secret, """{"hello":"world"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, noTicket.StatusCode);

        var bridge = await admin.GetFromJsonAsync<JsonNode>("/api/admin/bridge/zendesk");
        Assert.DoesNotContain(bridge!["queue"]!.AsArray(), q => (string)q!["ref"]! is "777" or "778");
        Assert.DoesNotContain(zendesk.Requests, r => r.Contains("/tickets/777", StringComparison.Ordinal) || r.Contains("/tickets/778", StringComparison.Ordinal));
    }

    /// <summary>
    /// The first monthly report already covers the months before the switch: October's report of Globex counts the
    /// imported urgent ticket with its own first response (3 h, around the clock), resolution (7 h) and breach.
    /// </summary>
    [Fact]
    public async Task MonthlyReport_OfAMonthBeforeTheSwitch_CountsImportedTicketsWithTheirOwnTimes()
    {
        var report = await admin.GetFromJsonAsync<JsonNode>("/api/reports/accounts/zendesk-362/monthly/2026-10");
        Assert.Equal(1, (int)report!["opened"]!);
        Assert.Equal(1, (int)report["resolved"]!);
        Assert.Equal(180, (double)report["firstResponse"]!["medianMinutes"]!);
        Assert.Equal(420, (double)report["resolution"]!["medianMinutes"]!);
        Assert.Equal(0, (double)report["compliancePercent"]!);
        // Both clocks of the one ticket broke (1 h to respond, 4 h to resolve), each stamped when it did.
        var breaches = report["breaches"]!.AsArray();
        Assert.All(breaches, b => Assert.Equal("Mail server down", (string)b!["subject"]!));
        var breach = breaches.Single(b => (string)b!["clock"]! == "first-response")!;
        Assert.Equal(ZendeskFixture.Monday.AddDays(1).AddHours(1), DateTimeOffset.Parse((string)breach["recordedAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        var critical = report["compliance"]!.AsArray().Single(c => string.Equals((string)c!["priority"]!, "critical", StringComparison.OrdinalIgnoreCase))!;
        Assert.Equal(1, (int)critical["tickets"]!);
        Assert.Equal(1, (int)critical["breached"]!);

        // Acme's October: the printer ticket, answered after 30 min inside business hours.
        var acme = await admin.GetFromJsonAsync<JsonNode>("/api/reports/accounts/zendesk-361/monthly/2026-10");
        Assert.Equal(1, (int)acme!["opened"]!);
        Assert.Equal(30, (double)acme["firstResponse"]!["medianMinutes"]!);
        Assert.Equal(100, (double)acme["compliancePercent"]!);
    }

    [Fact]
    public async Task QueueRetry_HalfGivenOrUnknownRowsRefused_RetryAllAnswersTheCount()
    {
        var sideways = await admin.PostAsJsonAsync("/api/admin/bridge/zendesk/queue/retry", new { direction = "sideways", @ref = "1" }).OkAsync(422);
        Assert.Contains("direction is 'sideways'", (string)sideways["detail"]!, StringComparison.Ordinal);
        await admin.PostAsJsonAsync("/api/admin/bridge/zendesk/queue/retry", new { direction = "in" }).OkAsync(422);
        var unknown = await admin.PostAsJsonAsync("/api/admin/bridge/zendesk/queue/retry", new { direction = "in", @ref = "999999" }).OkAsync(404);
        Assert.Contains("No waiting in row for 999999", (string)unknown["detail"]!, StringComparison.Ordinal);
        await admin.PostAsJsonAsync("/api/admin/bridge/nodesk/queue/retry", new { }).OkAsync(404);
        var all = await admin.PostOkAsync("/api/admin/bridge/zendesk/queue/retry", new { });
        Assert.True((int)all["retried"]! >= 0);
        Assert.Equal("zendesk", (string)all["bridge"]!["system"]!);
    }

    [Fact]
    public void ConflictRule_OnlyOneSideMoved_ThatSide_BothMoved_LaterWins_TieToPlatform()
    {
        var t = DateTimeOffset.UtcNow;
        Assert.Equal(BridgeSync.Side.None, BridgeSync.Decide("open", "open", "open", t, t));
        Assert.Equal(BridgeSync.Side.Local, BridgeSync.Decide("open", "pending", "open", t, t.AddHours(1)));
        Assert.Equal(BridgeSync.Side.External, BridgeSync.Decide("open", "open", "solved", t.AddHours(1), t));
        Assert.Equal(BridgeSync.Side.External, BridgeSync.Decide("open", "pending", "solved", t, t.AddSeconds(1)));
        Assert.Equal(BridgeSync.Side.Local, BridgeSync.Decide("open", "pending", "solved", t.AddSeconds(1), t));
        Assert.Equal(BridgeSync.Side.Local, BridgeSync.Decide("open", "pending", "solved", t, t));
    }

    private async Task WebhookAsync(long ticket)
    {
        using var response = await fixture.Host.CreateClient().SendAsync(FakeZendesk.SignedWebhook(ZendeskFixture.Secret, $$"""{"ticket_id":"{{ticket}}"}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task QueueEmptyAsync(int seconds = 30) =>
        TestWait.UntilAsync(admin, "/api/admin/bridge/zendesk", b => b["queue"]!.AsArray().Count == 0, "the sync queue to empty", seconds);

    private async Task<int> CommentCountAsync(long id) =>
        (await staff.GetFromJsonAsync<JsonArray>($"/api/tickets/{id}/history"))!.Count(h => (string)h!["event"]!["kind"]! == "comment");
}
