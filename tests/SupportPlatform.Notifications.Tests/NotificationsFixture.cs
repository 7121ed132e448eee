using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Sdk.Notifications;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Notifications.Tests;

/// <summary>
/// One real host per back-end on a fake clock (Tuesday 15 December 2026, 10:00 UTC), with a real SMTP sink, the chat
/// webhook plugin loaded from its plugin folder and posting to a loopback receiver, and a fake SMS provider.
/// </summary>
public abstract class NotificationsFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public const string PublicUrl = "http://console.tests.example";

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 15, 10, 0, 0, TimeSpan.Zero));

    public SmtpSink Smtp { get; } = new();

    public WebhookReceiver Chat { get; } = new();

    public FakeSms Sms { get; } = new();

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    private readonly Dictionary<string, HttpClient> staff = [];

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("notify") : null;
        Factory = new PlatformFactory(postgres: postgres, clock: Clock, services: s => s.AddSingleton<INotificationChannel>(Sms), extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Email:From"] = "Support <support@msp.example>",
            ["SupportPlatform:Email:PollInterval"] = "00:00:00.200",
            ["SupportPlatform:Email:Smtp:Host"] = "127.0.0.1",
            ["SupportPlatform:Email:Smtp:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SupportPlatform:Email:Smtp:Security"] = "None",
            ["SupportPlatform:Notifications:PublicUrl"] = PublicUrl,
            ["SupportPlatform:Notifications:RetryDelay"] = "00:00:10",
            ["SupportPlatform:Notifications:MaxAttempts"] = "2",
            ["SupportPlatform:Notifications:PollInterval"] = "00:00:00.200",
            ["SupportPlatform:Plugins:Path"] = Path.Combine(AppContext.BaseDirectory, "plugins"),
            ["Plugins:chat-webhook:defaultTarget"] = "slack",
            ["Plugins:chat-webhook:targets:slack:url"] = Chat.Url("slack"),
            ["Plugins:chat-webhook:targets:slack:format"] = "slack",
            ["Plugins:chat-webhook:targets:teams:url"] = Chat.Url("teams"),
            ["Plugins:chat-webhook:targets:teams:format"] = "teams",
            ["Plugins:chat-webhook:targets:broken:url"] = Chat.Url("broken"),
        });
        Admin = await Factory.CreateStaffClientAsync("admin", "root", "Root Admin");
        foreach (var account in new[] { "acme", "esc" })
        {
            await Ok(await Admin.PutAsJsonAsync($"/api/accounts/{account}", new { name = account + " Ltd", timeZone = "Europe/London" }));
            await Factory.Users.ClientUserTokenAsync(account, "requester-" + account, "Requester");
        }
    }

    public async Task DisposeAsync()
    {
        Factory.Dispose();
        Chat.Dispose();
        await Smtp.DisposeAsync();
    }

    /// <summary>A client signed in as staff user <paramref name="id"/> (created as a senior engineer on first use).</summary>
    public async Task<HttpClient> Staff(string id)
    {
        if (!staff.TryGetValue(id, out var client))
        {
            client = staff[id] = await Factory.CreateStaffClientAsync("senior", id, id[..1].ToUpperInvariant() + id[1..] + " Agent");
        }

        return client;
    }

    public async Task<long> NewTicketAsync(HttpClient client, string subject, string priority = "normal", string account = "acme")
    {
        var ticket = await Ok(await client.PostAsJsonAsync("/api/tickets", new { accountId = account, requesterId = "requester-" + account, subject, priority, description = "It is broken." }));
        return ticket["id"]!.GetValue<long>();
    }

    /// <summary>Moves the clock in one-minute steps, letting timers and the dispatcher run after each.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        for (var moved = TimeSpan.Zero; moved < by; moved += TimeSpan.FromMinutes(1))
        {
            Clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(20);
        }
    }

    /// <summary>Polls <paramref name="url"/> until <paramref name="done"/> holds (30 s).</summary>
    public static async Task<JsonNode> UntilAsync(HttpClient client, string url, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode last;
        do
        {
            last = await Ok(await client.GetAsync(url));
            if (done(last))
            {
                return last;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"{url} never reached the expected state; last: {last.ToJsonString()}");
    }

    public static async Task<JsonNode> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!;
    }

    public static async Task<JsonNode> Problem(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }
}

public sealed class SqliteNotifications() : NotificationsFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlNotifications() : NotificationsFixture(DatabaseProvider.PostgreSql);

[CollectionDefinition(nameof(SqliteNotifications))]
public sealed class SqliteNotificationsCollection : ICollectionFixture<SqliteNotifications>;

[CollectionDefinition(nameof(PostgreSqlNotifications))]
public sealed class PostgreSqlNotificationsCollection : ICollectionFixture<PostgreSqlNotifications>;
