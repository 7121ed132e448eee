using System.Net.Http.Json;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests.Routing;

/// <summary>A host of its own per back-end: routing rules are global, so routing tests must not share a host with other tests.</summary>
public sealed class SqliteRouting() : TicketsFixture(DatabaseProvider.Sqlite);

/// <summary>The same on PostgreSQL.</summary>
public sealed class PostgreSqlRouting() : TicketsFixture(DatabaseProvider.PostgreSql);

internal static class RoutingHttp
{
    public static async Task PutAgent(this HttpClient client, string id, string[] groups, string[]? skills = null, bool onShift = true, bool active = true)
    {
        var response = await client.PutAsJsonAsync($"/api/agents/{id}", new { displayName = id.ToUpperInvariant(), groups, skills = skills ?? [], onShift, active }, TicketsFixture.Json);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task PutRules(this HttpClient client, params object[] rules)
    {
        var response = await client.PutAsJsonAsync("/api/routing/rules", rules, TicketsFixture.Json);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<TicketView> Open(this HttpClient client, object body) =>
        await (await client.Send("/api/tickets", body)).Read<TicketView>();

    public static async Task<List<TicketEvent>> Events(this HttpClient client, long id) =>
        (await (await client.GetAsync($"/api/tickets/{id}/history")).Read<List<TicketHistoryEntry>>()).Select(e => e.Event).ToList();

    public static async Task<Assigned?> Routed(this HttpClient client, long id) =>
        (await client.Events(id)).OfType<Assigned>().SingleOrDefault();
}
