using System.Net.Http.Json;
using System.Text.Json;
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

    /// <summary>Extra settings for the host.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("tickets") : null;
        Factory = new PlatformFactory(postgres: postgres, extra: Settings);
        _ = Factory.Server; // start now, not in the first test
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    public HttpClient Client(string actor = "staff:alice:Alice Agent")
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Actor", actor);
        return client;
    }
}

public sealed class SqliteTickets() : TicketsFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlTickets() : TicketsFixture(DatabaseProvider.PostgreSql);

/// <summary>A host whose reopen window is zero: every client reply after resolution opens a follow-up.</summary>
public sealed class NoReopenWindowTickets() : TicketsFixture(DatabaseProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Tickets:ReopenWindow"] = "00:00:00" };
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

    public static Task<HttpResponseMessage> Send(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, TicketsFixture.Json);

    public static async Task<TicketView> NewTicket(this HttpClient client, string subject = "Mail server down", string priority = "high", string account = "acme")
    {
        var response = await client.Send("/api/tickets", new { accountId = account, requesterId = "bob", subject, priority, description = "Nobody can send mail." });
        return await response.Read<TicketView>();
    }
}
