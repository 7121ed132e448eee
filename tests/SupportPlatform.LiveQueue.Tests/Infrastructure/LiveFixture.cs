using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.LiveQueue.Tests.Infrastructure;

/// <summary>
/// One real host per back-end for a test class, with a small catch-up buffer (16 changes) so that "too many missed"
/// is reachable. Two staff users (agents Alice and Bob) sign in with API tokens, over REST and on the hub.
/// </summary>
public abstract class LiveFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public const int BufferSize = 16;
    public const string BobId = "bob-agent";

    public PlatformFactory Factory { get; private set; } = null!;

    /// <summary>API token of staff user alice ("Alice Agent").</summary>
    public string AliceToken { get; private set; } = null!;

    /// <summary>API token of staff user <see cref="BobId"/> ("Bob Agent").</summary>
    public string BobToken { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("live") : null;
        Factory = new PlatformFactory(postgres: postgres, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:LiveQueue:CatchUpBufferSize"] = BufferSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        AliceToken = await Factory.Users.StaffTokenAsync("agent", "alice", "Alice Agent");
        BobToken = await Factory.Users.StaffTokenAsync("agent", BobId, "Bob Agent");
        // Accounts are set up by an admin; the agents work the queue.
        await Factory.CreateClient(await Factory.Users.AdminTokenAsync()).EnsureAccount("acme");
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A REST client signed in as <paramref name="token"/>; Alice when null.</summary>
    public HttpClient Client(string? token = null) => Factory.CreateClient(token ?? AliceToken);

    /// <summary>A hub connection signed in as <paramref name="token"/>; Alice when null.</summary>
    public Task<LiveClient> Connect(string? token = null) => LiveClient.ConnectAsync(Factory.Server, token ?? AliceToken);
}

public sealed class SqliteLive() : LiveFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlLive() : LiveFixture(DatabaseProvider.PostgreSql);

internal static class HttpExtensions
{
    public static async Task EnsureAccount(this HttpClient client, string id)
    {
        var response = await client.PutAsJsonAsync($"/api/accounts/{id}", new { name = id + " Ltd", timeZone = "Europe/London" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<JsonElement> Send(this HttpClient client, string url, object body)
    {
        var response = await client.PostAsJsonAsync(url, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<long> NewTicket(this HttpClient client, string subject = "Mail server down", string priority = "high") =>
        (await client.Send("/api/tickets", new { accountId = "acme", requesterId = "bob", subject, priority, description = "Nobody can send mail." }))
            .GetProperty("id").GetInt64();
}
