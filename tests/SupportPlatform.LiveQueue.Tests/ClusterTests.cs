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

        // The monitoring dashboards' push spans nodes too: an alert taken in by node A reaches, on node B, the staff
        // and the system's own account, and never a client of another account connected to the same node.
        using var admin = a.Users.WithToken(await a.Users.AdminTokenAsync());
        await admin.EnsureAccount("rival");
        (await admin.PutAsJsonAsync("/api/monitoring/systems/acme-web", new { accountId = "acme", hostNames = new[] { "web1.acme.example" } })).EnsureSuccessStatusCode();
        var staffOnB = await DashboardListener.ConnectAsync(b.BaseAddress, bob);
        var acmeOnB = await DashboardListener.ConnectAsync(b.BaseAddress, await a.Users.ClientUserTokenAsync("acme", "carol-acme", "Carol Client"));
        var rivalOnB = await DashboardListener.ConnectAsync(b.BaseAddress, await a.Users.ClientUserTokenAsync("rival", "dave-rival", "Dave Rival"));
        await using (staffOnB)
        await using (acmeOnB)
        await using (rivalOnB)
        {
            // The server joins a connection to its groups just after the handshake that ends StartAsync.
            await Task.Delay(500);
            var alert = new { source = "api", system = "web1.acme.example", check = "ping", state = "critical", category = "availability", dedupKey = "cluster-push-1", occurredAt = DateTimeOffset.UtcNow, summary = "PING CRITICAL" };
            (await restA.PostAsJsonAsync("/api/monitoring/alerts", new[] { alert })).EnsureSuccessStatusCode();
            foreach (var listener in new[] { staffOnB, acmeOnB })
            {
                var change = await listener.NextAsync(c => c.GetProperty("systemId").GetString() == "acme-web");
                Assert.Equal("acme", change.GetProperty("accountId").GetString());
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Empty(rivalOnB.Received);
        }
    }

    /// <summary>A SignalR client of <c>/hubs/monitoring</c> on real sockets, recording each system of every <c>systemsChanged</c>.</summary>
    private sealed class DashboardListener : IAsyncDisposable
    {
        private readonly HubConnection connection;
        private readonly System.Threading.Channels.Channel<JsonElement> changes = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();

        private DashboardListener(HubConnection connection)
        {
            this.connection = connection;
            connection.On<JsonElement>("systemsChanged", batch =>
            {
                foreach (var change in batch.EnumerateArray())
                {
                    Received.Add(change.Clone());
                    changes.Writer.TryWrite(change.Clone());
                }
            });
        }

        public System.Collections.Concurrent.ConcurrentBag<JsonElement> Received { get; } = [];

        public static async Task<DashboardListener> ConnectAsync(Uri baseAddress, string token)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(baseAddress, "/hubs/monitoring"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            var listener = new DashboardListener(connection);
            await connection.StartAsync();
            return listener;
        }

        public async Task<JsonElement> NextAsync(Func<JsonElement, bool> match)
        {
            using var timeout = new CancellationTokenSource(LiveClient.Wait);
            while (true)
            {
                var change = await changes.Reader.ReadAsync(timeout.Token);
                if (match(change))
                {
                    return change;
                }
            }
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
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
