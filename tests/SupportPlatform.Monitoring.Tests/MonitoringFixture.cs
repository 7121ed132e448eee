using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Monitoring.Tests;

/// <summary>One real host per back-end, shared by a test class; each test uses its own account and systems.</summary>
public abstract class MonitoringFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("monitoring") : null;
        Factory = new PlatformFactory(postgres: postgres);
        Staff = Factory.CreateClient(await Factory.Users.StaffTokenAsync("senior", "sam", "Sam Senior"));
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class SqliteMonitoring() : MonitoringFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlMonitoring() : MonitoringFixture(DatabaseProvider.PostgreSql);

internal static class Api
{
    public static async Task<JsonNode> Json(this HttpResponseMessage response, int? status = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status is null ? response.IsSuccessStatusCode : (int)response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body.Length == 0 ? "null" : body)!;
    }

    public static async Task<JsonNode> GetJson(this HttpClient client, string url) => await (await client.GetAsync(url)).Json();

    /// <summary>A new account and one system on it whose host names are <paramref name="hosts"/>.</summary>
    public static async Task<string> NewSystemAsync(this HttpClient staff, string account, string system, params string[] hosts)
    {
        (await staff.PutAsJsonAsync($"/api/accounts/{account}", new { name = account + " Ltd", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        await (await staff.PutAsJsonAsync($"/api/monitoring/systems/{system}", new { accountId = account, name = system + " server", hostNames = hosts })).Json();
        return system;
    }

    public static object Alert(string host, string state, string dedup, DateTimeOffset at, string check = "ping", string category = "availability", string summary = "PING CRITICAL - packet loss 100%") =>
        new { source = "api", system = host, check, state, category, dedupKey = dedup, occurredAt = at, summary, details = "rta nan", metrics = new Dictionary<string, double> { ["rta"] = 12.5 } };

    public static async Task<JsonArray> SubmitAsync(this HttpClient staff, params object[] alerts) =>
        (await (await staff.PostAsJsonAsync("/api/monitoring/alerts", alerts)).Json()).AsArray();

    /// <summary>Waits until <paramref name="condition"/> holds for the ticket (the grain does ticket work right after the commit).</summary>
    public static async Task<JsonNode> TicketAsync(this HttpClient staff, long id, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var response = await staff.GetAsync($"/api/tickets/{id}");
            if (response.IsSuccessStatusCode && await response.Json() is { } ticket && condition(ticket))
            {
                return ticket;
            }

            Assert.True(DateTime.UtcNow < deadline, $"ticket {id} did not reach the expected state: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(100);
        }
    }

    public static async Task<JsonArray> HistoryAsync(this HttpClient staff, long ticket) =>
        (await staff.GetJson($"/api/tickets/{ticket}/history")).AsArray();

    public static async Task<int> MonitoringTicketsAsync(this HttpClient staff, string account) =>
        (int)(await staff.GetJson($"/api/tickets?accountId={account}&channel=monitoring&pageSize=200"))["total"]!;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
