using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Testing.Host;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests.Routing;

/// <summary>A host on a fake clock of its own, for escalations driven by SLA warnings and breaches.</summary>
public sealed class EscalationFixture : IAsyncLifetime
{
    // Monday 2026-11-30 10:00 in London: inside business hours.
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = new PlatformFactory(clock: Clock);
        Staff = await Factory.CreateStaffClientAsync("senior", "alice", "Alice Agent");
        await Staff.EnsureAccount("acme");
        await Staff.EnsureAccount("vip");
        var response = await Staff.PutAsJsonAsync("/api/routing/escalations", new object[]
        {
            new { name = "vip warning → L3", priorities = new[] { "critical" }, accountIds = new[] { "vip" }, on = new[] { "warning" }, toGroup = "L3" },
            new { name = "critical breach → L2", priorities = new[] { "critical" }, on = new[] { "breach" }, clocks = new[] { "first-response" }, toGroup = "L2" },
        }, TicketsFixture.Json);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        // L3 has two agents on shift (one already busy) and one off shift; L2 has nobody.
        await Staff.PutAgent("esc-lena", ["L3"], [], onShift: true);
        await Staff.PutAgent("esc-mo", ["L3"], [], onShift: true);
        await Staff.PutAgent("esc-nina", ["L3"], [], onShift: false);
        var busy = await Staff.NewTicket("Already with lena", "low", account: "acme");
        (await Staff.PostAsJsonAsync($"/api/tickets/{busy.Id}/assignment", new { group = "L3", agentId = "esc-lena" }, TicketsFixture.Json)).EnsureSuccessStatusCode();
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Moves the clock in one-minute steps, letting timers run after each.</summary>
    public async Task Advance(TimeSpan by)
    {
        for (var moved = TimeSpan.Zero; moved < by; moved += TimeSpan.FromMinutes(1))
        {
            Clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(10);
        }
    }
}

[CollectionDefinition(nameof(EscalationCollection), DisableParallelization = true)]
public sealed class EscalationCollection : ICollectionFixture<EscalationFixture>;

[Collection(nameof(EscalationCollection))]
public sealed class EscalationTests(EscalationFixture fixture)
{
    private readonly HttpClient staff = fixture.Staff;

    [Fact]
    public async Task OnDeadline_FirstResponseBreach_EscalatesToL2OnceWithReason()
    {
        var created = fixture.Clock.GetUtcNow();
        var ticket = await staff.NewTicket("Core switch down", "critical");
        var other = await staff.NewTicket("Mouse broken", "low");

        await fixture.Advance(TimeSpan.FromMinutes(61));
        var events = await WaitFor(ticket.Id, e => e.OfType<Escalated>().Any());
        await fixture.Advance(TimeSpan.FromMinutes(30));
        events = await staff.Events(ticket.Id);

        var escalation = Assert.Single(events.OfType<Escalated>());
        Assert.Equal(("L2", 1), (escalation.ToGroup, escalation.Level));
        Assert.Equal($"breach of first response at {created.AddHours(1):yyyy-MM-dd HH:mm} UTC, rule 'critical breach → L2'", escalation.Reason);
        Assert.True(events.FindIndex(e => e is SlaBreached) < events.FindIndex(e => e is Escalated));
        var now = await (await staff.GetAsync($"/api/tickets/{ticket.Id}")).Read<TicketView>();
        Assert.Equal(("L2", 1, (string?)null), (now.Group, now.EscalationLevel, now.AgentId)); // nobody in L2: its queue
        Assert.DoesNotContain(events.SkipWhile(e => e is not Escalated), e => e is Assigned);
        Assert.DoesNotContain(await staff.Events(other.Id), e => e is Escalated);
    }

    [Fact]
    public async Task OnDeadline_WarningRuleForAccount_EscalatesOnlyThatAccount()
    {
        var vip = await staff.NewTicket("VIP outage", "critical", account: "vip");
        var acme = await staff.NewTicket("Acme outage", "critical");

        await fixture.Advance(TimeSpan.FromMinutes(46));
        var events = await WaitFor(vip.Id, e => e.OfType<Escalated>().Any());

        var escalation = Assert.Single(events.OfType<Escalated>());
        Assert.Equal("L3", escalation.ToGroup);
        Assert.StartsWith("warning of first response at ", escalation.Reason, StringComparison.Ordinal);
        Assert.EndsWith("rule 'vip warning → L3'", escalation.Reason, StringComparison.Ordinal);
        // Handed to L3's least-loaded agent on shift (mo: lena has a ticket, nina is off shift), with the reason.
        var assigned = events.SkipWhile(e => e is not Escalated).OfType<Assigned>().Single();
        Assert.Equal(("L3", "esc-mo", "escalated to L3; least-loaded agent in L3: esc-mo (0 open)"), (assigned.Group, assigned.AgentId, assigned.Reason));
        Assert.Equal("esc-mo", (await (await staff.GetAsync($"/api/tickets/{vip.Id}")).Read<TicketView>()).AgentId);
        Assert.DoesNotContain(await staff.Events(acme.Id), e => e is Escalated);
    }

    private async Task<List<TicketEvent>> WaitFor(long id, Func<List<TicketEvent>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<TicketEvent> events;
        do
        {
            events = await staff.Events(id);
            if (condition(events))
            {
                return events;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail("history never matched: " + string.Join(", ", events.Select(e => e.Kind)));
        return events;
    }
}
