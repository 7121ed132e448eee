using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Faults.Tests.Infrastructure;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Faults.Tests;

/// <summary>
/// Two host processes on one PostgreSQL form a cluster; one is killed with SIGKILL. The grains it held (tickets,
/// deadline shards) come back on the survivor, and every SLA deadline still fires there.
/// </summary>
public sealed class ClusterNodeLossTests
{
    private const int Tickets = 8;

    [Fact]
    public async Task OneOfTwoNodesKilled_ItsGrainsComeBackOnTheOther_AndItsDeadlinesFire()
    {
        var postgres = await PostgresServer.Shared.CreateDatabaseAsync("faults_cluster");
        using var dataA = new TempDirectory("sp-faults-a-");
        using var dataB = new TempDirectory("sp-faults-b-");
        var clusterId = "faults-cluster-" + Guid.NewGuid().ToString("N")[..8];
        await using var a = HostProcess.Start(FaultPlatform.Environment(dataA.Path, postgres, clusterId));
        await a.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var b = HostProcess.Start(FaultPlatform.Environment(dataB.Path, postgres, clusterId));
        var created = new List<(long Id, DateTimeOffset CreatedAt)>();
        string token;
        try
        {
            await b.WaitReadyAsync(TimeSpan.FromSeconds(120));
            token = await a.Users.StaffTokenAsync("senior", "carol", "Carol Senior");
            using var viaA = FaultPlatform.Client(a, token);
            using var viaB = FaultPlatform.Client(b, token);
            await FaultPlatform.DefineAsync(viaA);
            await Eventually.TrueAsync(async () => JsonNode.Parse(await viaA.GetStringAsync("/api/system/info"))!["clusterMembers"]!.AsArray().Count == 2, "both nodes are active members", 60,
                async () => await viaA.GetStringAsync("/api/system/info"));

            // Tickets opened through both nodes: their grains and deadline shards are spread over the two silos.
            for (var i = 0; i < Tickets; i++)
            {
                var node = i % 2 == 0 ? viaA : viaB;
                var ticket = await FaultPlatform.Ok(await node.PostAsJsonAsync("/api/tickets", new
                {
                    accountId = FaultPlatform.Account, requesterId = "fast-contact", subject = $"Cluster ticket {i}", priority = "critical", description = "Node loss.",
                }));
                created.Add(((long)ticket["id"]!, DateTimeOffset.Parse((string)ticket["createdAt"]!, CultureInfo.InvariantCulture)));
            }

            // Every ticket is readable (activated) through node B before it dies, so some live there.
            foreach (var (id, _) in created)
            {
                await FaultPlatform.Ok(await viaB.GetAsync($"/api/tickets/{id}"));
            }
        }
        finally
        {
            b.Kill();
            await b.DisposeAsync();
        }

        // The survivor serves every ticket, and each first-response deadline fires (once the cluster declared B dead).
        using var api = FaultPlatform.Client(a, token, TimeSpan.FromSeconds(60));
        foreach (var (id, createdAt) in created)
        {
            await Eventually.TrueAsync(
                async () => (await CrashUnderLoadTests.SlaEventsAsync(api, id)).Breach is not null,
                $"the first-response breach of ticket {id} (due {createdAt.AddMinutes(1):O}) fires on the surviving node", 120);
            var (_, breach) = await CrashUnderLoadTests.SlaEventsAsync(api, id);
            Assert.Equal(createdAt.AddMinutes(1), breach!.Value.DueAt);
        }

        // Work goes on on the survivor: a change to a ticket whose grain lived on B.
        foreach (var (id, _) in created)
        {
            await FaultPlatform.Ok(await api.PostAsJsonAsync($"/api/tickets/{id}/comments", new { body = "Still here.", visibility = "internal" }));
        }

        var history = JsonNode.Parse(await api.GetStringAsync($"/api/tickets/{created[1].Id}/history"))!.AsArray();
        Assert.Single(history, h => (string?)h!["event"]!["kind"] == "sla-breach" && (string?)h!["event"]!["clock"] == "first-response");
    }
}
