using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Ticketing.Tests;

/// <summary>
/// The Freshdesk plugin in the real host (in-process, embedded database) against a fake Freshdesk, one record per page
/// so every list is followed through its <c>Link</c> headers, with the first contacts request rate-limited.
/// </summary>
public sealed class FreshdeskFixture : IAsyncLifetime
{
    public const string Secret = "freshdesk-shared-secret-0123456789";
    public const long Initech = 5, Peter = 801, Max = 9001;

    public static readonly DateTimeOffset Monday = new(2026, 10, 5, 9, 0, 0, TimeSpan.Zero);

    public FakeFreshdesk Freshdesk { get; private set; } = null!;

    public PlatformFactory Host { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient MaxStaff { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Freshdesk = await FakeFreshdesk.StartAsync();
        Freshdesk.Companies.Add(new JsonObject { ["id"] = Initech, ["name"] = "Initech", ["domains"] = new JsonArray("initech-fd.example") });
        Freshdesk.Companies.Add(new JsonObject { ["id"] = 6, ["name"] = "Initrode", ["domains"] = new JsonArray() });
        Freshdesk.Contacts.Add(new JsonObject { ["id"] = Peter, ["name"] = "Peter Gibbons", ["email"] = "peter@initech-fd.example", ["company_id"] = Initech });
        Freshdesk.Contacts.Add(new JsonObject { ["id"] = 802, ["name"] = "Milton", ["email"] = "milton@initech-fd.example", ["company_id"] = Initech });
        Freshdesk.Agents.Add(new JsonObject { ["id"] = Max, ["contact"] = new JsonObject { ["name"] = "Max Agent", ["email"] = "max@staff.tests.example" } });

        Freshdesk.AddTicket(11, Peter, Initech, "Server room too hot", 3, Monday, "The AC failed.");
        Freshdesk.AddConversation(11, Max, "A technician is on the way.", incoming: false, isPrivate: false, Monday.AddHours(1), ("work-order.pdf", [0x25, 0x50, 0x44, 0x46, 0x2D, 0x31, 0x2E, 0x34, 0x0A]));
        Freshdesk.SetStatus(11, 4, Monday.AddHours(7));
        var november = new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
        Freshdesk.AddTicket(12, Peter, Initech, "Backup failed", 2, november, "Last night's backup failed.");
        Freshdesk.AddConversation(12, Peter, "It failed again tonight.", incoming: true, isPrivate: false, november.AddMinutes(10));
        Freshdesk.AddTicket(13, 802, Initech, "Stapler missing", 1, november.AddDays(1), "Have you seen my stapler?", file: ("stapler.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 7, 7]));
        Freshdesk.RateLimits["/api/v2/contacts"] = 1;

        Host = new PlatformFactory(extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Plugins:Path"] = Path.Combine(AppContext.BaseDirectory, "freshdesk-plugins"),
            ["SupportPlatform:Bridge:WorkInterval"] = "00:00:00.100",
            ["SupportPlatform:Bridge:PollInterval"] = "01:00:00",
            ["Plugins:freshdesk:url"] = Freshdesk.Url.ToString(),
            ["Plugins:freshdesk:apiKey"] = FakeFreshdesk.ApiKey,
            ["Plugins:freshdesk:webhookSecret"] = Secret,
            ["Plugins:freshdesk:pageSize"] = "1",
        });
        Admin = Host.CreateClient(await Host.Users.AdminTokenAsync());
        MaxStaff = await Host.CreateStaffClientAsync("agent", "max", "Max Agent");
        await Admin.PostOkAsync("/api/admin/bridge/freshdesk/import", new { since = "2026-01-01T00:00:00Z" }, 202);
        await TestWait.UntilAsync(Admin, "/api/admin/bridge/freshdesk", b => (string?)b["import"]?["state"] == "caught-up", "the import to finish", 60);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Freshdesk.DisposeAsync();
    }
}

public sealed class FreshdeskTests(FreshdeskFixture fixture) : IClassFixture<FreshdeskFixture>
{
    private readonly HttpClient admin = fixture.Admin;
    private readonly HttpClient staff = fixture.MaxStaff;
    private readonly FakeFreshdesk freshdesk = fixture.Freshdesk;

    [Fact]
    public async Task Import_FollowsLinkPagesHonoursRetryAfter_SlaFromOriginalTimes()
    {
        var contacts = freshdesk.RequestTimes.Where(r => r.Path == "/api/v2/contacts").ToList();
        Assert.True(contacts.Count >= 3, "contacts requested " + contacts.Count + " times");
        Assert.True(contacts[1].At - contacts[0].At >= TimeSpan.FromSeconds(0.9), "the 429 was not waited out");
        Assert.Contains(freshdesk.Requests, r => r.StartsWith("GET /api/v2/tickets?updated_since=2026-01-01T00%3A00%3A00Z", StringComparison.Ordinal) && r.Contains("page=3", StringComparison.Ordinal));

        var bridge = await admin.GetFromJsonAsync<JsonNode>("/api/admin/bridge/freshdesk");
        Assert.Equal(3, (long)bridge!["linkedTickets"]!);
        Assert.Equal(2, (long)bridge["linkedAccounts"]!);
        Assert.Equal(3, (long)bridge["import"]!["tickets"]!);

        // Companies became accounts (name, domains), contacts the companies' contacts (name, address).
        var initech = await admin.GetFromJsonAsync<JsonNode>("/api/accounts/freshdesk-5");
        Assert.Equal("Initech", (string)initech!["name"]!);
        Assert.Contains("initech-fd.example", initech["emailDomains"]!.AsArray().Select(d => (string)d!));
        var people = await admin.GetFromJsonAsync<JsonArray>("/api/accounts/freshdesk-5/users");
        var peter = people!.Single(u => (string)u!["email"]! == "peter@initech-fd.example")!;
        Assert.Equal("Peter Gibbons", (string)peter["name"]!);
        Assert.Equal(2, people!.Count);

        var hot = await TestWait.LocalTicketAsync(admin, staff, "freshdesk", 11);
        Assert.Equal("freshdesk-5", (string)hot["accountId"]!);
        Assert.Equal("high", (string)hot["priority"]!);
        Assert.Contains((string)hot["status"]!, new[] { "resolved", "closed" });
        Assert.Equal(FreshdeskFixture.Monday.AddHours(1), DateTimeOffset.Parse((string)hot["firstResponseAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(FreshdeskFixture.Monday.AddHours(7), DateTimeOffset.Parse((string)hot["resolvedAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        // Attachments came over: the file of an agent's reply and the file of a ticket's first message, each readable.
        var hotHistory = await staff.GetFromJsonAsync<JsonArray>($"/api/tickets/{(long)hot["id"]!}/history");
        var reply = hotHistory!.Select(h => h!["event"]!).Single(e => (string)e["kind"]! == "comment");
        Assert.Equal("work-order.pdf", (string)reply["attachments"]![0]!["fileName"]!);
        Assert.Equal(9, await DownloadLengthAsync((long)hot["id"]!, (string)reply["attachments"]![0]!["id"]!));
        var stapler = await TestWait.LocalTicketAsync(admin, staff, "freshdesk", 13);
        Assert.Equal("stapler.png", (string)stapler["attachments"]![0]!["fileName"]!);
        Assert.Equal(10, await DownloadLengthAsync((long)stapler["id"]!, (string)stapler["attachments"]![0]!["id"]!));
        Assert.True((long)bridge["import"]!["attachments"]! >= 2);

        var clocks = hot["sla"]!.AsArray();
        Assert.False((bool)clocks.Single(c => (string)c!["kind"]! == "first-response")!["breached"]!);
        Assert.Equal(FreshdeskFixture.Monday.AddHours(7), DateTimeOffset.Parse((string)clocks.Single(c => (string)c!["kind"]! == "resolution")!["metAt"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task TwoWaySync_RepliesNotesStatusAssignee_NoEchoes_RefusalKeepsFreshdesksError()
    {
        var local = await TestWait.LocalTicketAsync(admin, staff, "freshdesk", 12);
        var id = (long)local["id"]!;

        // Platform -> Freshdesk: a public reply as Max (matched to the Freshdesk agent by address) and an internal note.
        await staff.PostOkAsync($"/api/tickets/{id}/comments", new { body = "Restarted the backup job.\nWatching tonight's run.", visibility = "public" });
        await staff.PostOkAsync($"/api/tickets/{id}/comments", new { body = "Disk is 95% full.", visibility = "internal" });
        await TestWait.UntilAsync(() => freshdesk.ConversationsOf(12).Count == 3, "the reply and the note in Freshdesk");
        var written = freshdesk.ConversationsOf(12);
        Assert.Equal(FreshdeskFixture.Max, (long)written[1]["user_id"]!);
        Assert.Equal("Restarted the backup job.\nWatching tonight's run.", (string)written[1]["body_text"]!);
        Assert.False((bool)written[1]["private"]!);
        Assert.True((bool)written[2]["private"]!);

        // Freshdesk's notification about our own writes brings nothing back.
        await WebhookAsync(12);
        await QueueEmptyAsync();
        Assert.Equal(3, freshdesk.ConversationsOf(12).Count);
        Assert.Equal(3, await CommentCountAsync(id));

        // Freshdesk -> platform: the requester answers and the agent sets pending.
        freshdesk.AddConversation(12, FreshdeskFixture.Peter, "Thanks, I will check tomorrow.", incoming: true, isPrivate: false, DateTimeOffset.UtcNow, ("backup.log", "ERROR disk full\n"u8.ToArray()));
        freshdesk.SetStatus(12, 3, DateTimeOffset.UtcNow);
        var puts = freshdesk.Requests.Count(r => r.StartsWith("PUT", StringComparison.Ordinal));
        await WebhookAsync(12);
        await TestWait.UntilAsync(staff, $"/api/tickets/{id}", t => (string)t["status"]! == "pending-client", "Freshdesk's status");
        await QueueEmptyAsync();
        Assert.Equal(4, await CommentCountAsync(id));
        Assert.Equal(puts, freshdesk.Requests.Count(r => r.StartsWith("PUT", StringComparison.Ordinal)));

        // The file of the synced reply came with it.
        var synced = (await staff.GetFromJsonAsync<JsonArray>($"/api/tickets/{id}/history"))!.Select(h => h!["event"]!).Last(e => (string)e["kind"]! == "comment");
        Assert.Equal("client", (string)synced["actor"]!["kind"]!);
        Assert.Equal("backup.log", (string)synced["attachments"]![0]!["fileName"]!);
        Assert.Equal(16, await DownloadLengthAsync(id, (string)synced["attachments"]![0]!["id"]!));

        // Assignee: the platform assigns Max; Freshdesk's responder becomes Max's agent id.
        await staff.PostOkAsync($"/api/tickets/{id}/assignment", new { agentId = "max" });
        await TestWait.UntilAsync(() => freshdesk.Ticket(12)["responder_id"] is JsonValue r && r.GetValue<long>() == FreshdeskFixture.Max, "the responder in Freshdesk");
        await QueueEmptyAsync();

        // Freshdesk -> platform: unassigned there, unassigned here; assigned to Max there, Max's here.
        freshdesk.SetResponder(12, null, DateTimeOffset.UtcNow);
        await WebhookAsync(12);
        await TestWait.UntilAsync(staff, $"/api/tickets/{id}", t => t["agentId"] is null, "the unassignment from Freshdesk");
        await QueueEmptyAsync();
        freshdesk.SetResponder(12, FreshdeskFixture.Max, DateTimeOffset.UtcNow.AddSeconds(1));
        await WebhookAsync(12);
        await TestWait.UntilAsync(staff, $"/api/tickets/{id}", t => (string?)t["agentId"] == "max", "the assignment from Freshdesk");
        await QueueEmptyAsync();

        // A refusal keeps Freshdesk's validation message on the queue row.
        freshdesk.Locked[12] = true;
        await staff.PostOkAsync($"/api/tickets/{id}/status", new { status = "open" });
        var bridge = await TestWait.UntilAsync(admin, "/api/admin/bridge/freshdesk", b => b["queue"]!.AsArray().Any(q => q!["lastError"] is not null), "the refusal on the queue");
        Assert.Contains("Validation failed: status: Ticket is locked for editing (invalid_value)", bridge.ToJsonString(), StringComparison.Ordinal);
        freshdesk.Locked.TryRemove(12, out _);
    }

    [Fact]
    public async Task Webhook_WithoutOrWithWrongSecret_401Or403AndNothingQueued()
    {
        var http = fixture.Host.CreateClient();
        var body = """{"freshdesk_webhook":{"ticket_id":"#4242"}}""";
        using var none = await http.PostAsync("/hooks/freshdesk/", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/hooks/freshdesk/") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        wrong.Headers.Add("X-Webhook-Secret", "freshdesk-shared-secret-WRONG");
        using var wrongResponse = await http.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Forbidden, wrongResponse.StatusCode);
        using var empty = new HttpRequestMessage(HttpMethod.Post, "/hooks/freshdesk/") { Content = new StringContent("""{"freshdesk_webhook":{}}""", Encoding.UTF8, "application/json") };
        empty.Headers.Add("X-Webhook-Secret", FreshdeskFixture.Secret);
        using var emptyResponse = await http.SendAsync(empty);
        Assert.Equal(HttpStatusCode.BadRequest, emptyResponse.StatusCode);

        var bridge = await admin.GetFromJsonAsync<JsonNode>("/api/admin/bridge/freshdesk");
        Assert.DoesNotContain(bridge!["queue"]!.AsArray(), q => (string)q!["ref"]! == "4242");
        Assert.DoesNotContain(freshdesk.Requests, r => r.Contains("/tickets/4242", StringComparison.Ordinal));
    }

    private async Task WebhookAsync(long ticket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/freshdesk/")
        {
            Content = new StringContent($$$"""{"freshdesk_webhook":{"ticket_id":"{{{ticket}}}"}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Webhook-Secret", FreshdeskFixture.Secret);
        using var response = await fixture.Host.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The monthly report of a month before the switch counts the imported tickets with their own response and resolution times.</summary>
    [Fact]
    public async Task MonthlyReport_OfAMonthBeforeTheSwitch_CountsImportedTickets()
    {
        var report = await admin.GetFromJsonAsync<JsonNode>("/api/reports/accounts/freshdesk-5/monthly/2026-10");
        Assert.Equal(1, (int)report!["opened"]!);
        Assert.Equal(1, (int)report["resolved"]!);
        // Monday 09:00 to 10:00 and to 16:00, inside the reference contract's business hours (weekdays 09:00-17:00).
        Assert.Equal(1, (int)report["firstResponse"]!["count"]!);
        Assert.Equal(60, (double)report["firstResponse"]!["medianMinutes"]!);
        Assert.Equal(420, (double)report["resolution"]!["medianMinutes"]!);
        Assert.Equal(100, (double)report["compliancePercent"]!);
        var november = await admin.GetFromJsonAsync<JsonNode>("/api/reports/accounts/freshdesk-5/monthly/2026-11");
        Assert.Equal(2, (int)november!["opened"]!);
    }

    private async Task<int> DownloadLengthAsync(long ticket, string attachment)
    {
        using var file = await staff.GetAsync($"/api/tickets/{ticket}/attachments/{attachment}");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        return (await file.Content.ReadAsByteArrayAsync()).Length;
    }

    private Task QueueEmptyAsync() =>
        TestWait.UntilAsync(admin, "/api/admin/bridge/freshdesk", b => b["queue"]!.AsArray().Count == 0, "the sync queue to empty");

    private async Task<int> CommentCountAsync(long id) =>
        (await staff.GetFromJsonAsync<JsonArray>($"/api/tickets/{id}/history"))!.Count(h => (string)h!["event"]!["kind"]! == "comment");
}
