using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.LiveQueue.Tests.Infrastructure;

/// <summary>
/// One real host per back-end for a test class, with a small catch-up buffer (16 changes) so that "too many missed"
/// is reachable. Connections may name a user (<c>?test-user=id:Name</c>): a test-only middleware signs them in, as
/// the identity module will.
/// </summary>
public abstract class LiveFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public const int BufferSize = 16;

    private PlatformFactory platform = null!;

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("live") : null;
        platform = new PlatformFactory(postgres: postgres, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:LiveQueue:CatchUpBufferSize"] = BufferSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        Factory = platform.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, TestUserFilter>()));
        await Client().EnsureAccount("acme");
    }

    public Task DisposeAsync()
    {
        platform.Dispose();
        return Task.CompletedTask;
    }

    public HttpClient Client(string actor = "staff:alice:Alice Agent")
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Actor", actor);
        return client;
    }

    public Task<LiveClient> Connect(string? user = null) => LiveClient.ConnectAsync(Factory.Server, user);

    /// <summary>Signs a request in as <c>?test-user=id:Name</c>; stands in for the identity module in tests.</summary>
    private sealed class TestUserFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Query["test-user"].ToString() is { Length: > 0 } user)
                {
                    var (id, name) = (user.Split(':')[0], user.Split(':')[^1]);
                    context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Name, name)], "test"));
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
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
