using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using SupportPlatform.LiveQueue.Tests.Infrastructure;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.LiveQueue.Tests;

/// <summary>Two real host processes on one PostgreSQL database: changes and presence reach clients on either node.</summary>
public sealed class ClusterTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task TwoNodes_ChangeMadeOnOne_ReachesClientsOfBoth_AndPresenceSpansNodes()
    {
        var postgres = await PostgresServer.Shared.CreateDatabaseAsync("livecluster");
        using var dataA = new TempDirectory();
        using var dataB = new TempDirectory();
        await using var a = HostProcess.Start(HostProcess.Environment(dataA.Path, postgres));
        await using var b = HostProcess.Start(HostProcess.Environment(dataB.Path, postgres));
        await Task.WhenAll(a.WaitReadyAsync(StartTimeout), b.WaitReadyAsync(StartTimeout));
        // Two agents, created through node A; their tokens are valid on either node (one database).
        var alice = await a.Users.StaffTokenAsync("agent", "alice", "Alice Agent");
        var bob = await a.Users.StaffTokenAsync("agent", "bob-agent", "Bob Agent");
        using var restA = a.Users.WithToken(alice);
        using var restB = b.Users.WithToken(bob);
        await WaitForMembers(restA, 2);
        await WaitForMembers(restB, 2);
        await a.Users.WithToken(await a.Users.AdminTokenAsync()).EnsureAccount("acme");

        await using var onA = await LiveClient.ConnectAsync(a.BaseAddress, alice);
        await using var onB = await LiveClient.ConnectAsync(b.BaseAddress, bob);
        await onA.SubscribeQueue(null);
        await onB.SubscribeQueue(null);

        var viaA = await restA.NewTicket("Created through node A");
        var viaB = await restB.NewTicket("Created through node B");

        // Every client sees both, with the same cluster-wide sequence numbers.
        var seqs = new List<long>();
        foreach (var client in new[] { onA, onB })
        {
            foreach (var id in new[] { viaA, viaB })
            {
                var change = await client.NextQueueChange(c => LiveClient.TicketId(c) == id && c.GetProperty("kind").GetString() == "created");
                seqs.Add(change.GetProperty("seq").GetInt64());
            }
        }

        Assert.Equal(seqs[0], seqs[2]);
        Assert.Equal(seqs[1], seqs[3]);

        // Two agents on the same ticket, on different nodes, see each other and each other's changes.
        await onA.Connection.InvokeAsync("WatchTicket", viaA);
        await onB.Connection.InvokeAsync("WatchTicket", viaA);
        await onA.NextPresence(p => Names(p) == "Alice Agent,Bob Agent");
        await onB.NextPresence(p => Names(p) == "Alice Agent,Bob Agent");
        await onB.Connection.InvokeAsync("Typing", viaA, true);
        await onA.NextPresence(p => p.GetProperty("viewers").EnumerateArray().Count(v => v.GetProperty("typing").GetBoolean()) == 1);

        await restB.Send($"/api/tickets/{viaA}/comments", new { body = "Answered from node B." });
        var onPage = await onA.NextTicketChange(c => LiveClient.TicketId(c) == viaA);
        Assert.Equal("replied", onPage.GetProperty("kind").GetString());
    }

    private static string Names(JsonElement presence) =>
        string.Join(",", presence.GetProperty("viewers").EnumerateArray().Select(v => v.GetProperty("name").GetString()).Order(StringComparer.Ordinal));

    private static async Task WaitForMembers(HttpClient client, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var members = 0;
        while (DateTime.UtcNow < deadline)
        {
            var info = await client.GetFromJsonAsync<JsonElement>("/api/system/info");
            members = info.GetProperty("clusterMembers").GetArrayLength();
            if (members == count)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"cluster has {members} members, expected {count}");
    }
}
