using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Knowledge.Tests;

/// <summary>
/// One real host per back-end, shared by a test class. Staff: alice and carol (senior), dave (agent). Client users:
/// Sarah Connor of "Acme Widgets Ltd" (acme) and eve of Globex (globex).
/// </summary>
public abstract class KnowledgeFixture(DatabaseProvider provider) : IAsyncLifetime
{
    private readonly Dictionary<string, HttpClient> clients = [];

    public PlatformFactory Factory { get; private set; } = null!;

    public DatabaseProvider Provider => provider;

    public HttpClient Alice => clients["alice"];

    public HttpClient Carol => clients["carol"];

    public HttpClient Dave => clients["dave"];

    public HttpClient Sarah => clients["sarah"];

    public HttpClient Eve => clients["eve"];

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("kb") : null;
        Factory = new PlatformFactory(postgres: postgres);
        clients["alice"] = Factory.CreateClient(await Factory.Users.StaffTokenAsync("senior", "alice", "Alice Senior"));
        clients["carol"] = Factory.CreateClient(await Factory.Users.StaffTokenAsync("senior", "carol", "Carol Reviewer"));
        clients["dave"] = Factory.CreateClient(await Factory.Users.StaffTokenAsync("agent", "dave", "Dave Agent"));
        await Alice.PutOk("/api/accounts/acme", new { name = "Acme Widgets Ltd", timeZone = "Europe/London" });
        await Alice.PutOk("/api/accounts/globex", new { name = "Globex", timeZone = "Europe/London" });
        clients["sarah"] = Factory.CreateClient(await Factory.Users.ClientUserTokenAsync("acme", "sarah", "Sarah Connor"));
        clients["eve"] = Factory.CreateClient(await Factory.Users.ClientUserTokenAsync("globex", "eve", "Eve Globex"));
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class SqliteKnowledge() : KnowledgeFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlKnowledge() : KnowledgeFixture(DatabaseProvider.PostgreSql);

internal static class Http
{
    public static async Task<JsonNode> Ok(this Task<HttpResponseMessage> call, int status = 200)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body.Length == 0 ? "null" : body) ?? JsonValue.Create(0);
    }

    /// <summary>Asserts a problem response with <paramref name="status"/>; returns its detail.</summary>
    public static async Task<string> Problem(this Task<HttpResponseMessage> call, int status)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonNode.Parse(body)!["detail"]?.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(detail), body);
        return detail!;
    }

    public static Task<JsonNode> PutOk(this HttpClient client, string url, object body) => client.PutAsJsonAsync(url, body).Ok();

    public static Task<HttpResponseMessage> Post(this HttpClient client, string url, object body) => client.PostAsJsonAsync(url, body);

    public static Task<JsonNode> GetOk(this HttpClient client, string url) => client.GetAsync(url).Ok();

    public static long Id(this JsonNode? node) => node!["id"]!.GetValue<long>();

    public static string Str(this JsonNode? node, string name) => node![name]!.GetValue<string>();

    /// <summary>Creates an article as dave (agent) and has carol (senior) review and publish it.</summary>
    public static async Task<long> PublishedArticle(this KnowledgeFixture fx, string title, string body, string visibility = "public", string? accountId = null, string[]? tags = null)
    {
        var article = await fx.Dave.Post("/api/kb/articles", new { title, body, tags = tags ?? [], category = "General", visibility, accountId }).Ok(201);
        var id = article.Id();
        await fx.Dave.Post($"/api/kb/articles/{id}/state", new { to = "in-review" }).Ok();
        await fx.Carol.Post($"/api/kb/articles/{id}/state", new { to = "published" }).Ok();
        return id;
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
