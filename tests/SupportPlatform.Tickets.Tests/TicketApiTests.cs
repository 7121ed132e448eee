using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests;

public sealed class SqliteTicketApiTests(SqliteTickets fixture) : TicketApiTests(fixture), IClassFixture<SqliteTickets>;

public sealed class PostgreSqlTicketApiTests(PostgreSqlTickets fixture) : TicketApiTests(fixture), IClassFixture<PostgreSqlTickets>;

/// <summary>The tickets REST API end to end: real host, real silo, real database (each back-end).</summary>
public abstract class TicketApiTests(TicketsFixture fixture)
{
    private readonly HttpClient staff = fixture.Client();
    private readonly HttpClient client = fixture.Client("client:bob:Bob Client");

    [Fact]
    public async Task Create_ValidRequest_CreatedWithLocationAndStoredFields()
    {
        var response = await staff.Send("/api/tickets", new
        {
            accountId = "acme", requesterId = "bob", channel = "email", type = "incident", priority = "critical",
            subject = "  VPN down ", description = "Since 9:00", tags = new[] { "VPN", "network" },
            externalReferences = new[] { new { system = "vendor-x", reference = "CASE-77", url = (string?)null } },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = await response.Read<TicketView>();
        Assert.Equal($"/api/tickets/{ticket.Id}", response.Headers.Location?.ToString());
        Assert.True(ticket.Id > 1000);
        Assert.Equal(("VPN down", TicketStatus.New, TicketChannel.Email, "incident"), (ticket.Subject, ticket.Status, ticket.Channel, ticket.Type));
        Assert.Equal(["vpn", "network"], ticket.Tags);
        Assert.Equal("CASE-77", Assert.Single(ticket.ExternalReferences).Reference);

        var fetched = await (await staff.GetAsync($"/api/tickets/{ticket.Id}")).Read<TicketView>();
        Assert.Equal(JsonSerializer.Serialize(ticket, TicketsFixture.Json), JsonSerializer.Serialize(fetched, TicketsFixture.Json));
    }

    [Fact]
    public async Task Create_SameIdempotencyKeyTwice_OneTicket()
    {
        var key = Guid.NewGuid().ToString();
        var body = new { accountId = "idem", requesterId = "bob", subject = "Printer jam " + key };

        var first = await Post(key, body);
        var second = await Post(key, body);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var a = await first.Read<TicketView>();
        var b = await second.Read<TicketView>();
        Assert.Equal(a.Id, b.Id);
        var page = await (await staff.GetAsync("/api/tickets?q=" + key)).Read<ResultPage<TicketSummary>>();
        Assert.Equal(1, page.Total);

        async Task<HttpResponseMessage> Post(string k, object b)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tickets") { Content = JsonContent.Create(b, options: TicketsFixture.Json) };
            request.Headers.Add("Idempotency-Key", k);
            return await staff.SendAsync(request);
        }
    }

    [Fact]
    public async Task Create_SameKeyDifferentBody_Unprocessable()
    {
        var key = Guid.NewGuid().ToString();
        await Send(new { accountId = "idem", requesterId = "bob", subject = "first" });

        var problem = await (await Send(new { accountId = "idem", requesterId = "bob", subject = "second" })).Problem(422);

        Assert.Equal("idempotency-key-reused", problem.GetProperty("code").GetString());

        async Task<HttpResponseMessage> Send(object b)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tickets") { Content = JsonContent.Create(b, options: TicketsFixture.Json) };
            request.Headers.Add("Idempotency-Key", key);
            return await staff.SendAsync(request);
        }
    }

    [Fact]
    public async Task List_SubjectSearch_SubstringOfAnyCaseWithWildcardsTakenLiterally()
    {
        // The subject search runs on an index on both back-ends (migration 0024); its results must stay those of a plain
        // case-insensitive substring match: any case, the middle of a word, '%' and '_' as themselves, short text.
        var account = "search-" + Guid.NewGuid().ToString("N")[..8];
        var key = Guid.NewGuid().ToString("N")[..10];
        string[] subjects =
        [
            $"Printer {key} offline", $"PRINTER{key.ToUpperInvariant()}JAM", $"{key} disk 100% full", $"{key} disk 100 full",
            $"{key} a_b", $"{key} axb", $"{key}q Café crème", "Unrelated zz",
        ];
        var ids = new List<long>();
        foreach (var subject in subjects)
        {
            ids.Add((await staff.NewTicket(subject, "normal", account)).Id);
        }

        Assert.Equal(ids.Take(7), await Search(key));
        Assert.Equal(ids.Take(7), await Search(key.ToUpperInvariant()));
        Assert.Equal([ids[0], ids[1]], await Search("rinter"));
        Assert.Equal([ids[1]], await Search($"r{key}j"));
        Assert.Equal([ids[2]], await Search($"{key} disk 100%"));
        Assert.Equal([ids[4]], await Search($"{key} a_b"));
        Assert.Equal([ids[6]], await Search("CAFÉ CRÈME"));
        Assert.Equal([ids[7]], await Search("zz"));
        Assert.Empty(await Search(key + "-none"));

        // A new subject is found by its words and no longer by the old ones.
        var renamed = await staff.PatchAsJsonAsync($"/api/tickets/{ids[7]}", new { subject = $"Renamed yy{key}" }, TicketsFixture.Json);
        Assert.True(renamed.IsSuccessStatusCode, await renamed.Content.ReadAsStringAsync());
        subjects[7] = $"Renamed yy{key}";
        Assert.Empty(await Search("zz"));
        Assert.Equal([ids[7]], await Search($"yy{key[..4]}"));
        Assert.Equal(ids, await Search(key));
        foreach (var text in new[] { "e", "in", "100", "a_", "é c" })
        {
            // Short text (no trigram; "a_" with a literal underscore), and a few more: exactly the subjects that contain it.
            Assert.Equal(ids.Where((_, i) => subjects[i].ToLowerInvariant().Contains(text, StringComparison.Ordinal)), await Search(text));
        }

        async Task<List<long>> Search(string text)
        {
            var page = await (await staff.GetAsync($"/api/tickets?accountId={account}&sort=oldest&pageSize=200&q={Uri.EscapeDataString(text)}")).Read<ResultPage<TicketSummary>>();
            Assert.Equal(page.Items.Count, page.Total);
            return page.Items.Select(t => t.Id).ToList();
        }
    }

    [Theory]
    [InlineData("""{"accountId":"acme","requesterId":"bob","subject":"   "}""", 422, "subject-required")]
    [InlineData("""{"requesterId":"bob","subject":"x"}""", 422, "invalid-account")]
    [InlineData("""{"accountId":"acme","requesterId":"bob","subject":"x","priority":"urgent"}""", 400, "$.priority")]
    [InlineData("""{"accountId":"acme","requesterId":"bob","subject":"x","receivedAt":"2999-01-01T00:00:00Z"}""", 422, "invalid-received-at")]
    [InlineData("""not json""", 400, "not valid JSON")]
    public async Task Create_BadInput_ProblemSaysWhatIsWrong(string json, int status, string? code)
    {
        var response = await staff.PostAsync("/api/tickets", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.Problem(status);
        var detail = problem.GetProperty("detail").GetString();
        if (status == 400)
        {
            // Unreadable input: the detail says what and where (code holds the expected fragment).
            Assert.Contains(code!, detail, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(code, problem.GetProperty("code").GetString());
            Assert.False(string.IsNullOrWhiteSpace(detail));
        }
    }

    [Fact]
    public async Task Comment_StaffPublicReply_FirstResponseAndOpen()
    {
        var ticket = await staff.NewTicket();

        var result = await (await staff.Send($"/api/tickets/{ticket.Id}/comments", new { body = "Looking at it." })).Read<CommentResult>();

        Assert.Equal(TicketStatus.Open, result.Ticket.Status);
        Assert.NotNull(result.Ticket.FirstResponseAt);
        Assert.Null(result.FollowUpTicket);
    }

    [Fact]
    public async Task Comment_InternalNote_NoFirstResponseAndMarkedInternal()
    {
        var ticket = await staff.NewTicket();

        var result = await (await staff.Send($"/api/tickets/{ticket.Id}/comments", new { body = "Probably the relay.", visibility = "internal" })).Read<CommentResult>();
        var history = await (await staff.GetAsync($"/api/tickets/{ticket.Id}/history")).Read<List<TicketHistoryEntry>>();

        Assert.Null(result.Ticket.FirstResponseAt);
        Assert.Equal(TicketStatus.New, result.Ticket.Status);
        var comment = Assert.IsType<CommentAdded>(history[^1].Event);
        Assert.Equal(CommentVisibility.Internal, comment.Visibility);
        Assert.Equal("alice", comment.Actor.Id);
    }

    [Fact]
    public async Task Comment_ClientInternalNote_Refused()
    {
        var ticket = await staff.NewTicket();

        var problem = await (await client.Send($"/api/tickets/{ticket.Id}/comments", new { body = "psst", visibility = "internal" })).Problem(422);

        Assert.Equal("invalid-visibility", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Comment_SameCommentIdTwice_AddedOnce()
    {
        var ticket = await staff.NewTicket();

        await client.Send($"/api/tickets/{ticket.Id}/comments", new { body = "Still broken", commentId = "msg-1@mail" });
        await client.Send($"/api/tickets/{ticket.Id}/comments", new { body = "Still broken", commentId = "msg-1@mail" });
        var history = await (await staff.GetAsync($"/api/tickets/{ticket.Id}/history")).Read<List<TicketHistoryEntry>>();

        Assert.Single(history, h => h.Event is CommentAdded);
    }

    [Fact]
    public async Task Resolve_WithoutNote_Refused()
    {
        var ticket = await staff.NewTicket();

        var problem = await (await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "resolved" })).Problem(422);

        Assert.Equal("resolution-note-required", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ClientReply_ResolvedWithinWindow_Reopens()
    {
        var ticket = await staff.NewTicket();
        var resolved = await (await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "resolved", note = "Restarted the relay." })).Read<TicketView>();
        Assert.Equal(("Restarted the relay.", TicketStatus.Resolved), (resolved.ResolutionNote, resolved.Status));

        var result = await (await client.Send($"/api/tickets/{ticket.Id}/comments", new { body = "It is broken again." })).Read<CommentResult>();

        Assert.Equal(TicketStatus.Open, result.Ticket.Status);
        Assert.Null(result.Ticket.ResolvedAt);
        Assert.Null(result.FollowUpTicket);
    }

    [Fact]
    public async Task Close_OpenTicket_RefusedUntilResolved()
    {
        var ticket = await staff.NewTicket();

        var problem = await (await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "closed" })).Problem(409);
        await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "resolved", note = "Fixed." });
        var closed = await (await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "closed" })).Read<TicketView>();

        Assert.Equal("resolve-before-closing", problem.GetProperty("code").GetString());
        Assert.Equal(TicketStatus.Closed, closed.Status);
        Assert.Equal("Fixed.", closed.ResolutionNote);
        Assert.NotNull(closed.ClosedAt);
    }

    [Fact]
    public async Task AssignPriorityEscalate_Changes_RecordedWithReasons()
    {
        var ticket = await staff.NewTicket(priority: "normal");
        // Escalating to a vendor needs a known vendor (an unknown one is refused with a 422).
        (await staff.PutAsJsonAsync("/api/vendors/isp", new { name = "ISP", contactEmail = "noc@isp.example" })).EnsureSuccessStatusCode();

        await staff.Send($"/api/tickets/{ticket.Id}/assignment", new { group = "L1", agentId = "carol", reason = "rule 'mail' matched" });
        await staff.Send($"/api/tickets/{ticket.Id}/priority", new { priority = "critical", reason = "whole office affected" });
        var escalated = await (await staff.Send($"/api/tickets/{ticket.Id}/escalations", new { toGroup = "L2", reason = "needs a senior" })).Read<TicketView>();
        var vendor = await (await staff.Send($"/api/tickets/{ticket.Id}/escalations", new { vendorId = "isp", reason = "line fault" })).Read<TicketView>();
        var history = await (await staff.GetAsync($"/api/tickets/{ticket.Id}/history")).Read<List<TicketHistoryEntry>>();

        Assert.Equal(("L2", (string?)null, 1), (escalated.Group, escalated.AgentId, escalated.EscalationLevel));
        Assert.Equal((TicketStatus.PendingVendor, 2), (vendor.Status, vendor.EscalationLevel));
        Assert.Equal(Core.Priority.Critical, vendor.Priority);
        Assert.Contains(history, h => h.Event is Assigned { Reason: "rule 'mail' matched", AgentId: "carol" });
        Assert.Contains(history, h => h.Event is PriorityChanged { From: Core.Priority.Normal, To: Core.Priority.Critical });
        Assert.Contains(history, h => h.Event is Escalated { VendorId: "isp", Level: 2 });
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(h => h.Event.Seq));
    }

    [Fact]
    public async Task Merge_IntoAnother_SourceClosedAndBothHistoriesKept()
    {
        var source = await staff.NewTicket("Cannot print");
        var target = await staff.NewTicket("Printer offline");
        await client.Send($"/api/tickets/{source.Id}/comments", new { body = "Floor 2 printer" });

        var merged = await (await staff.Send($"/api/tickets/{source.Id}/merge", new { target = target.Id })).Read<TicketView>();
        var history = await (await staff.GetAsync($"/api/tickets/{target.Id}/history?includeMerged=true")).Read<List<TicketHistoryEntry>>();
        var late = await (await client.Send($"/api/tickets/{source.Id}/comments", new { body = "any news?" })).Problem(409);

        Assert.Equal((TicketStatus.Closed, target.Id), (merged.Status, merged.MergedInto));
        // A merge is not a resolution: the source's clocks are withdrawn (cancelled), never counted as met.
        Assert.Equal("cancelled", merged.Sla.Single(c => c.Kind == "resolution").State);
        Assert.Equal("cancelled", merged.Sla.Single(c => c.Kind == "first-response").State);
        Assert.All(merged.Sla, c => Assert.Equal((false, (DateTimeOffset?)null, (DateTimeOffset?)null), (c.State == "met", c.MetAt, c.DueAt)));
        Assert.Contains(history, h => h.TicketId == source.Id && h.Event is CommentAdded { Body: "Floor 2 printer" });
        Assert.Contains(history, h => h.TicketId == target.Id && h.Event is MergeReceived s && s.Source == source.Id);
        Assert.Equal("ticket-merged", late.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Split_WithComment_NewLinkedTicketCarriesIt()
    {
        var ticket = await staff.NewTicket("Mail and VPN broken");
        var comment = await (await client.Send($"/api/tickets/{ticket.Id}/comments", new { body = "VPN drops every hour" })).Read<CommentResult>();

        var response = await staff.Send($"/api/tickets/{ticket.Id}/split", new { subject = "VPN drops", commentIds = new[] { comment.CommentId } });
        var split = await response.Read<TicketView>();
        var original = await (await staff.GetAsync($"/api/tickets/{ticket.Id}")).Read<TicketView>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains("VPN drops every hour", split.Description, StringComparison.Ordinal);
        Assert.Equal([ticket.Id], split.Related);
        Assert.Contains(split.Id, original.Related);
    }

    [Fact]
    public async Task List_Filters_ReadModelMatchesGrain()
    {
        var account = "list-" + Guid.NewGuid().ToString("N")[..8];
        var a = await staff.NewTicket("alpha", "low", account);
        var b = await staff.NewTicket("beta", "critical", account);
        await staff.Send($"/api/tickets/{b.Id}/status", new { status = "pending-client" });

        var all = await (await staff.GetAsync($"/api/tickets?accountId={account}&sort=queue")).Read<ResultPage<TicketSummary>>();
        var pending = await (await staff.GetAsync($"/api/tickets?accountId={account}&status=pending-client")).Read<ResultPage<TicketSummary>>();
        var paged = await (await staff.GetAsync($"/api/tickets?accountId={account}&pageSize=1&page=2&sort=queue")).Read<ResultPage<TicketSummary>>();

        // Queue order is time to breach: b is paused (pending-client), so the running low-priority ticket comes first.
        Assert.Equal([a.Id, b.Id], all.Items.Select(t => t.Id));
        Assert.Equal(TicketStatus.PendingClient, Assert.Single(pending.Items).Status);
        Assert.Equal((2L, b.Id), (paged.Total, Assert.Single(paged.Items).Id));
    }

    [Theory]
    [InlineData("status=sleeping", "status")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("sort=random", "sort")]
    public async Task List_BadQuery_ValidationProblemNamesField(string query, string field)
    {
        var problem = await (await staff.GetAsync("/api/tickets?" + query)).Problem(400);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Get_UnknownTicket_NotFoundProblem()
    {
        await (await staff.GetAsync("/api/tickets/999999999")).Problem(404);
        await (await staff.Send("/api/tickets/999999999/comments", new { body = "hello?" })).Problem(404);
    }

    [Fact]
    public async Task OpenApi_Document_ListsTicketEndpoints()
    {
        var document = await staff.GetStringAsync("/openapi/v1.json");

        Assert.Contains("\"/api/tickets/{id}/history\"", document, StringComparison.Ordinal);
        Assert.Contains("CreateTicket", document, StringComparison.Ordinal);
    }
}
