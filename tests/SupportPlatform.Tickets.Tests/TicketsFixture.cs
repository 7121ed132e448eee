using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Persistence;

namespace SupportPlatform.Tickets.Tests;

/// <summary>One real host per back-end, shared by a test class; tickets are independent, so tests do not interfere.</summary>
public abstract class TicketsFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = TicketJson.Create();

    private readonly DatabaseProvider provider;

    protected TicketsFixture(DatabaseProvider provider) => this.provider = provider;

    public PlatformFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("tickets") : null;
        Factory = new PlatformFactory(postgres: postgres);
        tokens["staff:alice"] = await Factory.Users.StaffTokenAsync("senior", "alice", "Alice Agent");
        var client = Client();
        await client.EnsureAccount("acme");
        await client.EnsureAccount("idem");
        await ConfigureAsync(client);
        tokens["client:bob"] = await Factory.Users.ClientUserTokenAsync(ClientAccount, "bob", "Bob Client");
    }

    /// <summary>The account of the client user bob.</summary>
    protected virtual string ClientAccount => "acme";

    /// <summary>More set-up on the running host.</summary>
    protected virtual Task ConfigureAsync(HttpClient client) => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    private readonly Dictionary<string, string> tokens = [];

    /// <summary>A client signed in (API token) as <paramref name="actor"/> ("kind:id:name"; alice is senior staff, bob a client user).</summary>
    public HttpClient Client(string actor = "staff:alice:Alice Agent") => Factory.CreateClient(tokens[string.Join(':', actor.Split(':').Take(2))]);
}

public sealed class SqliteTickets() : TicketsFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlTickets() : TicketsFixture(DatabaseProvider.PostgreSql);

/// <summary>Account "strict" has a zero reopen window: every client reply after resolution opens a follow-up.</summary>
public sealed class NoReopenWindowTickets() : TicketsFixture(DatabaseProvider.Sqlite)
{
    protected override string ClientAccount => "strict";

    protected override async Task ConfigureAsync(HttpClient client)
    {
        await client.EnsureAccount("strict");
        var account = JsonNode.Parse(await client.GetStringAsync("/api/accounts/strict"))!;
        account["contract"]!["reopenWindow"] = "00:00:00";
        var response = await client.PutAsJsonAsync("/api/accounts/strict", new { name = "Strict Ltd", timeZone = "Europe/London", contract = account["contract"] });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}

internal static class HttpExtensions
{
    public static async Task<T> Read<T>(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, TicketsFixture.Json)!;
    }

    public static async Task<JsonElement> Problem(this HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    public static async Task EnsureAccount(this HttpClient client, string id)
    {
        var response = await client.PutAsJsonAsync($"/api/accounts/{id}", new { name = id + " Ltd", timeZone = "Europe/London" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static Task<HttpResponseMessage> Send(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, TicketsFixture.Json);

    public static async Task<TicketView> NewTicket(this HttpClient client, string subject = "Mail server down", string priority = "high", string account = "acme")
    {
        if (account is not ("acme" or "idem"))
        {
            await client.EnsureAccount(account);
        }

        var response = await client.Send("/api/tickets", new { accountId = account, requesterId = "bob", subject, priority, description = "Nobody can send mail." });
        return await response.Read<TicketView>();
    }
}
