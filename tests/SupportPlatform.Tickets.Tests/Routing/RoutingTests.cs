using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests.Routing;

public sealed class SqliteRoutingTests(SqliteRouting fixture) : RoutingTests(fixture), IClassFixture<SqliteRouting>;

public sealed class PostgreSqlRoutingTests(PostgreSqlRouting fixture) : RoutingTests(fixture), IClassFixture<PostgreSqlRouting>;

/// <summary>
/// Routing of new tickets end to end (real host, each back-end). Tests of a class run one after another and each
/// replaces the rule list first; agents and groups are unique per test so open-ticket counts do not leak between tests.
/// </summary>
public abstract class RoutingTests(TicketsFixture fixture)
{
    private readonly HttpClient staff = fixture.Client();

    [Fact]
    public async Task Create_KeywordRuleMatches_AssignedToAgentWithExplainedReason()
    {
        await staff.PutAgent("carol", ["L1-kw"], ["exchange"]);
        await staff.PutRules(new { name = "mail outages", keywords = new[] { "exchange" }, group = "L1-kw", requiredSkill = "exchange", strategy = "least-loaded" });

        var ticket = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "EXCHANGE is down", description = "no mail" });

        Assert.Equal(("L1-kw", "carol"), (ticket.Group, ticket.AgentId));
        var assigned = Assert.IsType<Assigned>(await staff.Routed(ticket.Id));
        Assert.Equal("rule 'mail outages' matched (keyword 'exchange'); least-loaded agent in L1-kw with skill exchange: carol (0 open)", assigned.Reason);
        Assert.Equal(("system", "routing"), (assigned.Actor.Id, assigned.Actor.Name));
    }

    [Fact]
    public async Task Create_KeywordOnlyInsideLongerWord_NotRoutedAndNoAssignmentEvent()
    {
        await staff.PutAgent("kw2", ["L1-kw2"]);
        await staff.PutRules(new { name = "mail", keywords = new[] { "exchange" }, group = "L1-kw2" });

        var ticket = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Currency exchanged twice", description = "exchanges" });

        Assert.Equal((null, null), (ticket.Group, ticket.AgentId));
        Assert.Null(await staff.Routed(ticket.Id));
    }

    [Fact]
    public async Task Create_KeywordInDescription_Matches()
    {
        await staff.PutRules(new { name = "net", keywords = new[] { "vpn", "firewall" }, group = "NET-desc" });

        var ticket = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Help", description = "The Firewall, again." });

        Assert.Equal("NET-desc", ticket.Group);
        Assert.StartsWith("rule 'net' matched (keyword 'firewall')", (await staff.Routed(ticket.Id))!.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("type")]
    [InlineData("priority")]
    [InlineData("account")]
    [InlineData("channel")]
    public async Task Create_SingleCriterionRule_MatchesOnlyItsValue(string criterion)
    {
        var group = "G-" + criterion;
        object rule = criterion switch
        {
            "type" => new { name = criterion, types = new[] { "Incident" }, group },
            "priority" => new { name = criterion, priorities = new[] { "critical", "high" }, group },
            "account" => new { name = criterion, accountIds = new[] { "idem" }, group },
            _ => new { name = criterion, channels = new[] { "phone" }, group },
        };
        await staff.PutRules(rule);
        var matching = new { accountId = "idem", requesterId = "bob", subject = "s", type = "incident", priority = "high", channel = "phone" };
        var other = new { accountId = "acme", requesterId = "bob", subject = "s", type = "request", priority = "low", channel = "email" };

        var matched = await staff.Open(matching);
        var unmatched = await staff.Open(other);

        Assert.Equal(group, matched.Group);
        Assert.Contains($"rule '{criterion}' matched (", (await staff.Routed(matched.Id))!.Reason, StringComparison.Ordinal);
        Assert.Null(unmatched.Group);
        Assert.Null(await staff.Routed(unmatched.Id));
    }

    [Fact]
    public async Task Create_TwoRulesMatch_FirstInOrderWins()
    {
        await staff.PutRules(
            new { name = "security first", keywords = new[] { "phishing" }, group = "SEC-order" },
            new { name = "catch-all", group = "L1-order" });

        var phishing = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Phishing mail received" });
        var other = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Printer" });

        Assert.Equal(("SEC-order", "L1-order"), (phishing.Group, other.Group));
        Assert.StartsWith("rule 'catch-all' matched (catch-all)", (await staff.Routed(other.Id))!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AllCriteriaMustMatch_OneFailingCriterionSkipsRule()
    {
        await staff.PutRules(new { name = "critical mail", priorities = new[] { "critical" }, keywords = new[] { "mail" }, group = "AND-g" });

        var both = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "mail down", priority = "critical" });
        var onlyKeyword = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "mail down", priority = "low" });

        Assert.Equal("AND-g", both.Group);
        Assert.Equal("rule 'critical mail' matched (priority critical, keyword 'mail'); no agent in AND-g is active and on shift: left to the group AND-g",
            (await staff.Routed(both.Id))!.Reason);
        Assert.Null(onlyKeyword.Group);
    }

    [Fact]
    public async Task Create_LeastLoaded_PicksAgentWithFewestOpenTickets()
    {
        await staff.PutAgent("ll-a", ["LL"]);
        await staff.PutAgent("ll-b", ["LL"]);
        await staff.PutRules(new { name = "other", keywords = new[] { "zzz" }, group = "X" });
        // ll-a: 2 open; ll-b: 1 open and 2 resolved (resolved and closed tickets do not count).
        await AssignNew("ll-a", resolve: false);
        await AssignNew("ll-a", resolve: false);
        await AssignNew("ll-b", resolve: false);
        await AssignNew("ll-b", resolve: true);
        await AssignNew("ll-b", resolve: true);
        await staff.PutRules(new { name = "load", group = "LL", strategy = "least-loaded" });

        var ticket = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Anything" });

        Assert.Equal("ll-b", ticket.AgentId);
        Assert.EndsWith("least-loaded agent in LL: ll-b (1 open)", (await staff.Routed(ticket.Id))!.Reason, StringComparison.Ordinal);

        // Now both have 2 open: the tie goes to the lowest id.
        var next = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Anything else" });
        Assert.Equal("ll-a", next.AgentId);
    }

    [Fact]
    public async Task Create_RoundRobin_RotatesThroughEligibleAgents()
    {
        await staff.PutAgent("rr-1", ["RR"]);
        await staff.PutAgent("rr-2", ["RR"]);
        await staff.PutAgent("rr-3", ["RR"]);
        await staff.PutRules(new { name = "rotation", group = "RR", strategy = "round-robin" });

        var agents = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            agents.Add((await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "rr " + i })).AgentId);
        }

        Assert.Equal(["rr-1", "rr-2", "rr-3", "rr-1"], agents);
    }

    [Fact]
    public async Task Create_SkillShiftAndActive_OnlyQualifiedAgentPicked()
    {
        await staff.PutAgent("sk-a-noskill", ["SK"], ["printing"]);
        await staff.PutAgent("sk-b-offshift", ["SK"], ["networking"], onShift: false);
        await staff.PutAgent("sk-c-inactive", ["SK"], ["networking"], active: false);
        await staff.PutAgent("sk-d-other-group", ["SK2"], ["networking"]);
        await staff.PutAgent("sk-z-ok", ["SK"], ["Networking"]);
        await staff.PutRules(new { name = "net", group = "SK", requiredSkill = "networking", strategy = "least-loaded" });

        var ticket = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Switch" });

        Assert.Equal("sk-z-ok", ticket.AgentId);
    }

    [Fact]
    public async Task Create_NobodyEligible_GroupOnlyWithReason()
    {
        await staff.PutAgent("ne-off", ["NE"], ["security"], onShift: false);
        await staff.PutRules(new { name = "sec", group = "NE", requiredSkill = "security", strategy = "round-robin" });

        var ticket = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Breach" });

        Assert.Equal(("NE", null), (ticket.Group, ticket.AgentId));
        var assigned = (await staff.Routed(ticket.Id))!;
        Assert.Equal("rule 'sec' matched (catch-all); no agent in NE with skill security is active and on shift: left to the group NE", assigned.Reason);
        Assert.Null(assigned.AgentId);
    }

    [Fact]
    public async Task Assign_AfterRouting_StaffReassignsByHand()
    {
        await staff.PutAgent("hand-a", ["HAND"]);
        await staff.PutRules(new { name = "hand", group = "HAND" });
        var ticket = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "Reassign me" });

        var moved = await (await staff.Send($"/api/tickets/{ticket.Id}/assignment", new { agentId = "someone-else", reason = "knows the client" })).Read<TicketView>();

        Assert.Equal(("HAND", "someone-else"), (moved.Group, moved.AgentId));
        Assert.Equal(["hand", "knows the client"], (await staff.Events(ticket.Id)).OfType<Assigned>().Select(a => a.Reason.StartsWith("rule 'hand'", StringComparison.Ordinal) ? "hand" : a.Reason));
    }

    private async Task AssignNew(string agent, bool resolve)
    {
        var ticket = await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "load for " + agent });
        await (await staff.Send($"/api/tickets/{ticket.Id}/assignment", new { group = "LL", agentId = agent })).Read<TicketView>();
        if (resolve)
        {
            await (await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "resolved", note = "done" })).Read<TicketView>();
        }
    }
}
