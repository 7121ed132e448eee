using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.LiveQueue.Tests.Infrastructure;

namespace SupportPlatform.LiveQueue.Tests;

/// <summary>The live queue end to end: REST changes to the tickets reach SignalR clients of the real host, on both back-ends.</summary>
public abstract class LiveQueueTests(LiveFixture fixture)
{
    private readonly HttpClient staff = fixture.Client();

    [Fact]
    public async Task CreateTicket_PushesQueueChangedWithTheQueueRowAndCommitTime()
    {
        await using var agent = await fixture.Connect();
        var subscription = await agent.SubscribeQueue(null);
        var before = DateTimeOffset.UtcNow;

        var id = await staff.NewTicket("Printer on fire", "critical");

        var change = await agent.NextQueueChange(c => LiveClient.TicketId(c) == id);
        var received = DateTimeOffset.UtcNow;
        Assert.False(subscription.Reset);
        Assert.Equal("created", change.GetProperty("kind").GetString());
        Assert.True(change.GetProperty("seq").GetInt64() > subscription.LastSeq);
        var at = change.GetProperty("at").GetDateTimeOffset();
        Assert.InRange(at, before, received);
        var ticket = change.GetProperty("ticket");
        Assert.Equal(
            ["id", "subject", "accountId", "requesterId", "priority", "status", "channel", "group", "agentId", "nextDueAt", "breached", "updatedAt"],
            ticket.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("Printer on fire", "acme", "bob", "critical", "new", "api"), (
            ticket.GetProperty("subject").GetString(), ticket.GetProperty("accountId").GetString(), ticket.GetProperty("requesterId").GetString(),
            ticket.GetProperty("priority").GetString(), ticket.GetProperty("status").GetString(), ticket.GetProperty("channel").GetString()));
        // Critical: one hour to first response, around the clock.
        Assert.InRange(ticket.GetProperty("nextDueAt").GetDateTimeOffset(), before.AddHours(1).AddSeconds(-5), received.AddHours(1));
        Assert.False(ticket.GetProperty("breached").GetBoolean());
    }

    [Fact]
    public async Task AssignReplyResolve_EachPushedInOrderWithItsKind()
    {
        await using var agent = await fixture.Connect();
        await agent.SubscribeQueue(null);
        var id = await staff.NewTicket("VPN flaky");
        await agent.NextQueueChange(c => LiveClient.TicketId(c) == id);

        await staff.Send($"/api/tickets/{id}/assignment", new { group = "network", agentId = "carol" });
        await staff.Send($"/api/tickets/{id}/comments", new { body = "Looking into it." });
        await staff.Send($"/api/tickets/{id}/status", new { status = "resolved", note = "Replaced the router." });

        var assigned = await agent.NextQueueChange(c => LiveClient.TicketId(c) == id);
        var replied = await agent.NextQueueChange(c => LiveClient.TicketId(c) == id);
        var resolved = await agent.NextQueueChange(c => LiveClient.TicketId(c) == id);
        Assert.Equal(("assigned", "network", "carol"), (assigned.GetProperty("kind").GetString(),
            assigned.GetProperty("ticket").GetProperty("group").GetString(), assigned.GetProperty("ticket").GetProperty("agentId").GetString()));
        Assert.Equal(("replied", "reply by Alice Agent"), (replied.GetProperty("kind").GetString(), replied.GetProperty("detail").GetString()));
        Assert.Equal(("status", "resolved"), (resolved.GetProperty("kind").GetString(), resolved.GetProperty("ticket").GetProperty("status").GetString()));
        Assert.True(assigned.GetProperty("seq").GetInt64() < replied.GetProperty("seq").GetInt64());
        Assert.True(replied.GetProperty("seq").GetInt64() < resolved.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Reconnect_WithLastSeq_GetsExactlyWhatWasMissed()
    {
        var id = await staff.NewTicket("Disk almost full");
        long lastSeq;
        await using (var agent = await fixture.Connect())
        {
            lastSeq = (await agent.SubscribeQueue(null)).LastSeq;
        }

        // While the agent is away.
        await staff.Send($"/api/tickets/{id}/comments", new { body = "Cleaning up." });
        await staff.Send($"/api/tickets/{id}/priority", new { priority = "critical" });
        await using var back = await fixture.Connect();
        var catchUp = await WaitForCatchUp(back, lastSeq, 2);

        Assert.False(catchUp.Reset);
        Assert.Equal(["replied", "updated"], catchUp.Changes.Select(c => c.GetProperty("kind").GetString()));
        Assert.All(catchUp.Changes, c => Assert.Equal(id, LiveClient.TicketId(c)));
        Assert.Equal(
            Enumerable.Range(1, 2).Select(i => lastSeq + i),
            catchUp.Changes.Select(c => c.GetProperty("seq").GetInt64()));
        Assert.Equal("critical", catchUp.Changes[1].GetProperty("ticket").GetProperty("priority").GetString());
    }

    [Fact]
    public async Task Reconnect_AfterMoreChangesThanTheBufferHolds_SaysReset()
    {
        await using var agent = await fixture.Connect();
        var lastSeq = (await agent.SubscribeQueue(null)).LastSeq;
        var publisher = fixture.Factory.Services.GetRequiredService<ILiveQueuePublisher>();
        for (var i = 0; i < LiveFixture.BufferSize + 4; i++)
        {
            publisher.Publish(LiveChangeKind.Call, null, $"call {i}");
        }

        await agent.NextQueueChange(c => c.GetProperty("detail").GetString() == $"call {LiveFixture.BufferSize + 3}");
        await using var back = await fixture.Connect();
        var catchUp = await back.SubscribeQueue(lastSeq);
        var unknown = await back.SubscribeQueue(lastSeq + 10_000_000);

        Assert.Equal((true, 0), (catchUp.Reset, catchUp.Changes.Count));
        Assert.True(catchUp.LastSeq >= lastSeq + LiveFixture.BufferSize + 4);
        Assert.True(unknown.Reset);
    }

    [Fact]
    public async Task Publisher_IncomingCall_ReachesEveryClientWithoutATicket()
    {
        await using var first = await fixture.Connect();
        await using var second = await fixture.Connect();
        await first.SubscribeQueue(null);
        await second.SubscribeQueue(null);
        var at = DateTimeOffset.UtcNow.AddSeconds(-1);

        fixture.Factory.Services.GetRequiredService<ILiveQueuePublisher>().Publish(LiveChangeKind.Voicemail, null, "from +44 20 7946 0000", at);

        var one = await first.NextQueueChange(c => c.GetProperty("kind").GetString() == "voicemail");
        var two = await second.NextQueueChange(c => c.GetProperty("kind").GetString() == "voicemail");
        Assert.Equal(["seq", "kind", "at", "ticket", "detail"], one.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, one.GetProperty("ticket").ValueKind);
        Assert.Equal(("from +44 20 7946 0000", at), (one.GetProperty("detail").GetString(), one.GetProperty("at").GetDateTimeOffset()));
        Assert.Equal(one.GetProperty("seq").GetInt64(), two.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task TwoAgentsOnOneTicket_SeePresenceTypingAndEachOthersChanges()
    {
        var id = await staff.NewTicket("Cannot print");
        // Presence shows who is signed in: the users' ids and names come from their tokens, not from the client.
        await using var alice = await fixture.Connect(fixture.AliceToken);
        await using var bob = await fixture.Connect(fixture.BobToken);

        await alice.Connection.InvokeAsync("WatchTicket", id);
        await alice.NextPresence(p => Viewers(p, id) == "alice:Alice Agent:False");
        await bob.Connection.InvokeAsync("WatchTicket", id);
        await alice.NextPresence(p => Viewers(p, id) == "alice:Alice Agent:False,bob-agent:Bob Agent:False");
        await bob.NextPresence(p => Viewers(p, id) == "alice:Alice Agent:False,bob-agent:Bob Agent:False");

        await bob.Connection.InvokeAsync("Typing", id, true);
        await alice.NextPresence(p => Viewers(p, id) == "alice:Alice Agent:False,bob-agent:Bob Agent:True");

        // Bob's reply (through the REST API, as his page does) reaches Alice's ticket page.
        await fixture.Client(fixture.BobToken).Send($"/api/tickets/{id}/comments", new { body = "Driver reinstalled.", visibility = "internal" });
        var change = await alice.NextTicketChange(c => LiveClient.TicketId(c) == id);
        Assert.Equal(("replied", "internal note by Bob Agent"), (change.GetProperty("kind").GetString(), change.GetProperty("detail").GetString()));

        await bob.Connection.StopAsync();
        await alice.NextPresence(p => Viewers(p, id) == "alice:Alice Agent:False");
    }

    [Fact]
    public async Task UnwatchedTicket_ReceivesNoTicketChangesAndTypingIsRefused()
    {
        var watched = await staff.NewTicket("Watched");
        var other = await staff.NewTicket("Other");
        await using var agent = await fixture.Connect();
        await agent.Connection.InvokeAsync("WatchTicket", watched);

        var typing = await Assert.ThrowsAsync<HubException>(() => agent.Connection.InvokeAsync("Typing", other, true));
        var badId = await Assert.ThrowsAsync<HubException>(() => agent.Connection.InvokeAsync("WatchTicket", 0L));
        await staff.Send($"/api/tickets/{other}/comments", new { body = "Not for the watcher." });
        await staff.Send($"/api/tickets/{watched}/comments", new { body = "For the watcher." });

        var change = await agent.NextTicketChange(_ => true);
        Assert.Equal(watched, LiveClient.TicketId(change));
        Assert.Contains($"call WatchTicket({other}) first", typing.Message, StringComparison.Ordinal);
        Assert.Contains("not a ticket number", badId.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hub_IsStaffOnly_AnonymousGets401_ClientUserGets403()
    {
        var clientUser = await fixture.Factory.Users.ClientUserTokenAsync("acme");

        var anonymous = await Assert.ThrowsAnyAsync<Exception>(() => LiveClient.ConnectAsync(fixture.Factory.Server, null));
        var customer = await Assert.ThrowsAnyAsync<Exception>(() => fixture.Connect(clientUser));
        using var anonymousNegotiate = await fixture.Factory.Users.Anonymous().PostAsync("/hubs/live/negotiate?negotiateVersion=1", null);
        using var customerNegotiate = await fixture.Factory.CreateClient(clientUser).PostAsync("/hubs/live/negotiate?negotiateVersion=1", null);
        using var staffNegotiate = await fixture.Client().PostAsync("/hubs/live/negotiate?negotiateVersion=1", null);

        Assert.Contains("401", anonymous.Message, StringComparison.Ordinal);
        Assert.Contains("403", customer.Message, StringComparison.Ordinal);
        Assert.Equal(
            (HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.OK),
            (anonymousNegotiate.StatusCode, customerNegotiate.StatusCode, staffNegotiate.StatusCode));
    }

    private static string Viewers(JsonElement presence, long ticketId) =>
        presence.GetProperty("ticketId").GetInt64() != ticketId
            ? ""
            : string.Join(",", presence.GetProperty("viewers").EnumerateArray()
                .Select(v => $"{v.GetProperty("id").GetString()}:{v.GetProperty("name").GetString()}:{v.GetProperty("typing").GetBoolean()}"));

    // The REST call returns once the change is committed; its forwarding to this node takes a few milliseconds more.
    private static async Task<QueueCatchUpJson> WaitForCatchUp(LiveClient client, long lastSeq, int expected)
    {
        var deadline = DateTime.UtcNow + LiveClient.Wait;
        while (true)
        {
            var catchUp = await client.SubscribeQueue(lastSeq);
            if (catchUp.Changes.Count >= expected || DateTime.UtcNow > deadline)
            {
                return catchUp;
            }

            await Task.Delay(50);
        }
    }
}

public sealed class SqliteLiveQueueTests(SqliteLive fixture) : LiveQueueTests(fixture), IClassFixture<SqliteLive>;

public sealed class PostgreSqlLiveQueueTests(PostgreSqlLive fixture) : LiveQueueTests(fixture), IClassFixture<PostgreSqlLive>;
