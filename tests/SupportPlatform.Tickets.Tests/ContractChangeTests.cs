using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests;

public sealed class SqliteContractChangeTests(SqliteTickets fixture) : ContractChangeTests(fixture), IClassFixture<SqliteTickets>;

public sealed class PostgreSqlContractChangeTests(PostgreSqlTickets fixture) : ContractChangeTests(fixture), IClassFixture<PostgreSqlTickets>;

/// <summary>A changed contract reaches the account's open tickets: targets re-based, with an event; closed tickets keep theirs.</summary>
public abstract class ContractChangeTests(TicketsFixture fixture)
{
    [Fact]
    public async Task ContractChange_ReachesOpenTickets_ReBasesTheirTargets_WithAnEvent()
    {
        var client = fixture.Client();
        var accountId = "c" + Guid.NewGuid().ToString("N")[..10];
        await client.EnsureAccount(accountId);
        var open = await (await client.PostAsJsonAsync("/api/tickets", new { accountId, requesterId = "bob", subject = "Outage", priority = "critical" })).Read<TicketView>();
        var closing = await (await client.PostAsJsonAsync("/api/tickets", new { accountId, requesterId = "bob", subject = "Done", priority = "critical" })).Read<TicketView>();
        await client.Send($"/api/tickets/{closing.Id}/status", new { status = "resolved", note = "fixed" });
        await client.Send($"/api/tickets/{closing.Id}/status", new { status = "closed" });
        var dueBefore = open.Sla.Single(c => c.Kind == "first-response").DueAt!.Value;

        // Critical first response: from the reference 1 hour to 15 minutes, around the clock.
        var account = JsonNode.Parse(await client.GetStringAsync($"/api/accounts/{accountId}"))!;
        foreach (var targets in account["contract"]!["slaPolicy"]!["targets"]!.AsArray())
        {
            if (targets!["priority"]!.GetValue<string>() == "critical")
            {
                targets["firstResponseMinutes"] = 15;
            }
        }

        var put = await client.PutAsJsonAsync($"/api/accounts/{accountId}", new { name = "Changed Ltd", timeZone = "Europe/London", contract = account["contract"] });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        TicketView? after = null;
        for (var i = 0; i < 100; i++)
        {
            after = await (await client.GetAsync($"/api/tickets/{open.Id}")).Read<TicketView>();
            if (after.Sla.Single(c => c.Kind == "first-response").DueAt != dueBefore)
            {
                break;
            }

            await Task.Delay(100);
        }

        var dueAfter = after!.Sla.Single(c => c.Kind == "first-response").DueAt!.Value;
        Assert.True(dueAfter < dueBefore, $"due {dueAfter:O} should be earlier than {dueBefore:O}");
        Assert.InRange(dueAfter - open.CreatedAt, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(16));
        var history = await (await client.GetAsync($"/api/tickets/{open.Id}/history")).Read<List<TicketHistoryEntry>>();
        Assert.Contains(history, h => h.Event is ContractApplied { Changes: var changes } && changes.Contains("SLA policy", StringComparison.Ordinal));

        var closed = await (await client.GetAsync($"/api/tickets/{closing.Id}/history")).Read<List<TicketHistoryEntry>>();
        Assert.DoesNotContain(closed, h => h.Event is ContractApplied);
    }
}
