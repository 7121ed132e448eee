using Microsoft.Extensions.Time.Testing;
using SupportPlatform.LiveQueue.Tests.Infrastructure;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.LiveQueue.Tests;

/// <summary>SLA warnings and breaches, fired by the deadline scheduler on a fake clock, arrive on the live queue.</summary>
public sealed class SlaLiveTests : IAsyncLifetime
{
    // Monday 2026-11-30 10:00 in London: inside business hours.
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));
    private PlatformFactory factory = null!;
    private string token = null!;

    public async Task InitializeAsync()
    {
        factory = new PlatformFactory(clock: clock);
        token = await factory.Users.StaffTokenAsync("agent", "alice", "Alice Agent");
        await factory.CreateClient(await factory.Users.AdminTokenAsync()).EnsureAccount("acme");
    }

    public Task DisposeAsync()
    {
        factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task CriticalTicketUnanswered_PushesSlaWarningThenBreach()
    {
        await using var agent = await LiveClient.ConnectAsync(factory.Server, token);
        await agent.SubscribeQueue(null);
        var id = await Staff().NewTicket("Firewall down", "critical");
        await agent.NextQueueChange(c => LiveClient.TicketId(c) == id && c.GetProperty("kind").GetString() == "created");

        await Advance(TimeSpan.FromMinutes(46));
        var warning = await agent.NextQueueChange(c => LiveClient.TicketId(c) == id);
        await Advance(TimeSpan.FromMinutes(15));
        var breach = await agent.NextQueueChange(c => LiveClient.TicketId(c) == id);

        Assert.Equal(("sla-warning", "first-response", false), (warning.GetProperty("kind").GetString(), warning.GetProperty("detail").GetString(),
            warning.GetProperty("ticket").GetProperty("breached").GetBoolean()));
        Assert.Equal(("sla-breach", "first-response", true), (breach.GetProperty("kind").GetString(), breach.GetProperty("detail").GetString(),
            breach.GetProperty("ticket").GetProperty("breached").GetBoolean()));
        Assert.True(breach.GetProperty("at").GetDateTimeOffset() >= new DateTimeOffset(2026, 11, 30, 11, 0, 0, TimeSpan.Zero));
    }

    private HttpClient Staff() => factory.CreateClient(token);

    // Steps of a minute, letting timers and deliveries run after each (one jump would give one timer tick).
    private async Task Advance(TimeSpan by)
    {
        for (var moved = TimeSpan.Zero; moved < by; moved += TimeSpan.FromMinutes(1))
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(10);
        }
    }
}
