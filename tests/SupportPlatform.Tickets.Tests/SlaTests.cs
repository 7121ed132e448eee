using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Testing.Host;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests;

/// <summary>A host on a fake clock: SLA warnings, breaches, pauses and the quiet-period close, end to end through the scheduler.</summary>
public sealed class SlaFixture : IAsyncLifetime
{
    // Monday 2026-11-30 10:00 in London (UTC+0 in winter): inside the reference calendar's 09:00–17:00.
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));

    public PlatformFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = new PlatformFactory(clock: Clock);
        tokens["staff:alice"] = await Factory.Users.StaffTokenAsync("senior", "alice", "Alice Agent");
        await Client().EnsureAccount("acme");
        tokens["client:bob"] = await Factory.Users.ClientUserTokenAsync("acme", "bob", "Bob");
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    private readonly Dictionary<string, string> tokens = [];

    /// <summary>A client signed in (API token) as <paramref name="actor"/> ("kind:id:name"; alice is senior staff, bob a user of acme).</summary>
    public HttpClient Client(string actor = "staff:alice:Alice Agent") => Factory.CreateClient(tokens[string.Join(':', actor.Split(':').Take(2))]);

    /// <summary>Moves the clock in steps (one jump would give one timer tick), letting callbacks run after each.</summary>
    public async Task Advance(TimeSpan by, TimeSpan step)
    {
        for (var moved = TimeSpan.Zero; moved < by; moved += step)
        {
            Clock.Advance(step);
            await Task.Delay(10);
        }
    }
}

[CollectionDefinition(nameof(SlaCollection), DisableParallelization = true)]
public sealed class SlaCollection : ICollectionFixture<SlaFixture>;

[Collection(nameof(SlaCollection))]
public sealed class SlaTests(SlaFixture fixture)
{
    private readonly HttpClient staff = fixture.Client();

    [Fact]
    public async Task CriticalTicket_NoReply_WarnsAt45MinutesThenBreachesAtOneHour()
    {
        var created = fixture.Clock.GetUtcNow();
        var ticket = await staff.NewTicket("Firewall down", "critical");
        var first = ticket.Sla.Single(c => c.Kind == "first-response");
        Assert.Equal((created.AddMinutes(45), created.AddHours(1), "running"), (first.WarningAt, first.DueAt, first.State));

        await fixture.Advance(TimeSpan.FromMinutes(46), TimeSpan.FromMinutes(1));
        var warned = await WaitForHistory(ticket.Id, h => h.Any(e => e.Event is SlaWarned { Clock: "first-response" }));
        Assert.DoesNotContain(warned, e => e.Event is SlaBreached);

        await fixture.Advance(TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(1));
        var breached = await WaitForHistory(ticket.Id, h => h.Any(e => e.Event is SlaBreached { Clock: "first-response" }));
        Assert.Equal(created.AddHours(1), breached.Select(e => e.Event).OfType<SlaBreached>().First().DueAt);

        // A late reply meets the clock, but the breach is kept for reports.
        var replied = await (await staff.Send($"/api/tickets/{ticket.Id}/comments", new { body = "On it." })).Read<CommentResult>();
        var clock = replied.Ticket.Sla.Single(c => c.Kind == "first-response");
        Assert.Equal(("met", true), (clock.State, clock.Breached));
        var listed = await (await staff.GetAsync($"/api/tickets?accountId=acme&q=Firewall")).Read<ResultPage<TicketSummary>>();
        Assert.True(Assert.Single(listed.Items).Breached);
    }

    [Fact]
    public async Task PendingClient_TwoHours_PausesTheResolutionClock()
    {
        var ticket = await staff.NewTicket("Cannot log in", "critical");
        var dueBefore = ticket.Sla.Single(c => c.Kind == "resolution").DueAt!.Value;
        await staff.Send($"/api/tickets/{ticket.Id}/comments", new { body = "What is your user name?" });
        await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "pending-client" });

        await fixture.Advance(TimeSpan.FromHours(2), TimeSpan.FromMinutes(10));
        var reply = await (await fixture.Client("client:bob:Bob").Send($"/api/tickets/{ticket.Id}/comments", new { body = "bob.smith" })).Read<CommentResult>();

        var resolution = reply.Ticket.Sla.Single(c => c.Kind == "resolution");
        Assert.Equal(TicketStatus.Open, reply.Ticket.Status);
        Assert.Equal(dueBefore.AddHours(2), resolution.DueAt);
        Assert.Equal("running", reply.Ticket.Sla.Single(c => c.Kind == "next-response").State);
        var history = await (await staff.GetAsync($"/api/tickets/{ticket.Id}/history")).Read<List<TicketHistoryEntry>>();
        Assert.DoesNotContain(history, e => e.Event is SlaBreached);
    }

    [Fact]
    public async Task Resolved_QuietPeriodPasses_ClosesByItself()
    {
        var ticket = await staff.NewTicket("Reset password", "low");
        await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "resolved", note = "Reset and mailed." });

        await fixture.Advance(TimeSpan.FromDays(3) + TimeSpan.FromHours(1), TimeSpan.FromHours(1));

        var closed = await WaitForTicket(ticket.Id, t => t.Status == TicketStatus.Closed);
        Assert.Equal("Reset and mailed.", closed.ResolutionNote);
    }

    private async Task<List<TicketHistoryEntry>> WaitForHistory(long id, Func<List<TicketHistoryEntry>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<TicketHistoryEntry> history;
        do
        {
            history = await (await staff.GetAsync($"/api/tickets/{id}/history")).Read<List<TicketHistoryEntry>>();
            if (condition(history))
            {
                return history;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail("history never matched: " + string.Join(", ", history.Select(h => h.Event.Kind)));
        return history;
    }

    private async Task<TicketView> WaitForTicket(long id, Func<TicketView, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        TicketView ticket;
        do
        {
            ticket = await (await staff.GetAsync($"/api/tickets/{id}")).Read<TicketView>();
            if (condition(ticket))
            {
                return ticket;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"ticket {id} never matched; status {ticket.Status}");
        return ticket;
    }
}
