using System.Net.Http.Json;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests.Routing;

public sealed class SqliteDirectoryApiTests(SqliteRouting fixture) : DirectoryApiTests(fixture), IClassFixture<SqliteRouting>;

public sealed class PostgreSqlDirectoryApiTests(PostgreSqlRouting fixture) : DirectoryApiTests(fixture), IClassFixture<PostgreSqlRouting>;

/// <summary>Agents, rule lists and vendors over the API, and escalation to vendors (real host, each back-end).</summary>
public abstract class DirectoryApiTests(TicketsFixture fixture)
{
    private readonly HttpClient staff = fixture.Client();

    [Fact]
    public async Task PutAgent_Valid_StoredAndListed()
    {
        await staff.PutAgent("dir-dave", [" L2 ", "L2", "security"], ["exchange"], onShift: false);

        var agent = await (await staff.GetAsync("/api/agents/dir-dave")).Read<Agent>();
        var all = await (await staff.GetAsync("/api/agents")).Read<List<Agent>>();

        Assert.Equal(("DIR-DAVE", false, true), (agent.DisplayName, agent.OnShift, agent.Active));
        Assert.Equal(["L2", "security"], agent.Groups);
        Assert.Contains(all, a => a.Id == "dir-dave");
    }

    [Fact]
    public async Task PutAgent_InvalidFields_ValidationProblemNamingEachField()
    {
        var response = await staff.PutAsJsonAsync("/api/agents/Bad Id", new { displayName = " ", groups = Array.Empty<string>(), skills = new[] { "" } });

        var errors = (await response.Problem(400)).GetProperty("errors");

        Assert.Contains("lowercase", errors.GetProperty("id")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("display name", errors.GetProperty("displayName")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("at least one group", errors.GetProperty("groups")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("skill", errors.GetProperty("skills")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAgent_Unknown_NotFoundProblem()
    {
        var problem = await (await staff.GetAsync("/api/agents/nobody-here")).Problem(404);

        Assert.Contains("PUT /api/agents/nobody-here", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRoutingRules_Invalid_ValidationProblemPerRuleAndField()
    {
        var response = await staff.PutAsJsonAsync("/api/routing/rules", new object[]
        {
            new { name = "mail", group = "L1" },
            new { name = "MAIL", group = " ", keywords = new[] { "***", "" }, requiredSkill = new string('x', 51) },
            new { group = "L1", priorities = new[] { 9 } },
        });

        var errors = (await response.Problem(400)).GetProperty("errors");

        Assert.Contains("unique", errors.GetProperty("rules[1].name")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("target group", errors.GetProperty("rules[1].group")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("'***' is not a usable keyword", errors.GetProperty("rules[1].keywords")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(2, errors.GetProperty("rules[1].keywords").GetArrayLength());
        Assert.True(errors.TryGetProperty("rules[1].requiredSkill", out _));
        Assert.Contains("name", errors.GetProperty("rules[2].name")[0].GetString(), StringComparison.Ordinal);
        Assert.True(errors.TryGetProperty("rules[2].priorities", out _));
        Assert.False(errors.TryGetProperty("rules[0].name", out _));
    }

    [Fact]
    public async Task PutRoutingRules_UnknownStrategy_BadRequest()
    {
        var response = await staff.PutAsJsonAsync("/api/routing/rules", new object[] { new { name = "x", group = "L1", strategy = "random" } });

        Assert.Equal(400, (int)response.StatusCode);
        Assert.DoesNotContain(await (await staff.GetAsync("/api/routing/rules")).Read<List<RoutingRule>>(), r => r.Name == "x");
    }

    [Fact]
    public async Task PutRoutingRules_Valid_ReadBackInOrder()
    {
        await staff.PutRules(new { name = " b ", group = "L1", strategy = "round-robin" }, new { name = "a", group = "L2", keywords = new[] { "vpn" } });

        var rules = await (await staff.GetAsync("/api/routing/rules")).Read<List<RoutingRule>>();

        Assert.Equal(["b", "a"], rules.Select(r => r.Name));
        Assert.Equal(RoutingStrategy.RoundRobin, rules[0].Strategy);
        await staff.PutRules();
    }

    [Fact]
    public async Task PutEscalationRules_Invalid_ValidationProblem()
    {
        var response = await staff.PutAsJsonAsync("/api/routing/escalations", new object[]
        {
            new { name = "e", priorities = Array.Empty<string>(), on = Array.Empty<string>(), toGroup = "" },
            new { name = "E", priorities = new[] { "critical" }, on = new[] { "breach" }, toGroup = "L2" },
        });

        var errors = (await response.Problem(400)).GetProperty("errors");

        Assert.Contains("priorities", errors.GetProperty("rules[0].priorities")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("warning, breach or both", errors.GetProperty("rules[0].on")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("escalate to", errors.GetProperty("rules[0].toGroup")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("unique", errors.GetProperty("rules[1].name")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutVendor_InvalidEmailAndName_ValidationProblem()
    {
        var response = await staff.PutAsJsonAsync("/api/vendors/acme-hw", new { name = "", contactEmail = "support at vendor" });

        var errors = (await response.Problem(400)).GetProperty("errors");

        Assert.Contains("'support at vendor' is not an email address", errors.GetProperty("contactEmail")[0].GetString(), StringComparison.Ordinal);
        Assert.True(errors.TryGetProperty("name", out _));
        await (await staff.GetAsync("/api/vendors/acme-hw")).Problem(404);
    }

    [Fact]
    public async Task Escalate_UnknownVendor_UnprocessableAndTicketUnchanged()
    {
        var ticket = await staff.NewTicket("Disk failure");

        var problem = await (await staff.Send($"/api/tickets/{ticket.Id}/escalations", new { vendorId = "no-such-vendor", reason = "hardware" })).Problem(422);

        Assert.Equal("invalid-vendor", problem.GetProperty("code").GetString());
        Assert.Contains("Vendor 'no-such-vendor' does not exist", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var after = await (await staff.GetAsync($"/api/tickets/{ticket.Id}")).Read<TicketView>();
        Assert.Equal((TicketStatus.New, 0), (after.Status, after.EscalationLevel));
    }

    [Fact]
    public async Task Escalate_KnownVendor_PendingVendorContactInHistoryAndMessageInOutbox()
    {
        var vendor = await (await staff.PutAsJsonAsync("/api/vendors/storage-co", new { name = "Storage Co", contactEmail = "cases@storage.example", notes = "contract 77" })).Read<Vendor>();
        Assert.Equal("cases@storage.example", vendor.ContactEmail);
        var ticket = await staff.NewTicket("SAN array degraded");
        await staff.Send($"/api/tickets/{ticket.Id}/comments", new { body = "Controller B shows a fault LED." });
        await staff.Send($"/api/tickets/{ticket.Id}/comments", new { body = "Client is grumpy, be careful", visibility = "internal" });

        var escalated = await (await staff.Send($"/api/tickets/{ticket.Id}/escalations", new { vendorId = "storage-co", reason = "hardware fault" })).Read<TicketView>();
        var withCase = await (await staff.Send($"/api/tickets/{ticket.Id}/external-references", new { system = "storage-co", reference = "SC-12345" })).Read<TicketView>();

        Assert.Equal((TicketStatus.PendingVendor, 1), (escalated.Status, escalated.EscalationLevel));
        var escalation = (await staff.Events(ticket.Id)).OfType<Escalated>().Single();
        Assert.Equal(("storage-co", "hardware fault (sent to Storage Co <cases@storage.example>)"), (escalation.VendorId, escalation.Reason));
        Assert.Equal("SC-12345", Assert.Single(withCase.ExternalReferences).Reference);
        var message = Assert.Single(await (await staff.GetAsync($"/api/vendors/outbox?ticketId={ticket.Id}")).Read<List<VendorMessage>>());
        // "queued": handed to the mail outbox in the escalation's transaction, which delivers it.
        Assert.Equal(("cases@storage.example", $"[Ticket #{ticket.Id}] SAN array degraded", "queued"), (message.Recipient, message.Subject, message.Status));
        var mail = System.Text.Json.Nodes.JsonNode.Parse(await staff.GetStringAsync("/api/admin/mail/outbox"))!.AsArray();
        Assert.Contains(mail, m => m!["to"]!.GetValue<string>() == "cases@storage.example" && m["purpose"]!.GetValue<string>() == "vendor-escalation");
        Assert.Contains("Nobody can send mail.", message.Body, StringComparison.Ordinal);
        Assert.Contains("Controller B shows a fault LED.", message.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("grumpy", message.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListVendors_AfterPut_ContainsVendor()
    {
        await (await staff.PutAsJsonAsync("/api/vendors/isp-one", new { name = "ISP One", contactEmail = "noc@isp.example" })).Read<Vendor>();

        var vendors = await (await staff.GetAsync("/api/vendors")).Read<List<Vendor>>();

        Assert.Contains(vendors, v => v is { Id: "isp-one", Name: "ISP One" });
    }
}
