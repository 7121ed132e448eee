using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Email.Tests;

/// <summary>
/// Outbound mail with XOAUTH2 against a real SMTP submission server: Dovecot's submission service, which checks the
/// bearer token against an OAuth2 introspection endpoint (RFC 7662) and relays accepted mail to the SMTP sink. The token
/// endpoint and the introspection endpoint are a small Kestrel app in the test. While the token endpoint refuses the
/// client, the message waits with the reason in the outbox; once it issues tokens, the retry delivers.
/// </summary>
public sealed class SmtpOAuth2Tests : IAsyncLifetime
{
    private const string Mailbox = "support@test.local";
    private readonly ConcurrentQueue<string> tokenRequests = new();
    private WebApplication identity = null!;
    private DovecotServer dovecot = null!;
    private SmtpSink sink = null!;
    private int submissionPort;
    private string baseUrl = null!;
    private volatile bool refuse = true;
    private int issued;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        identity = builder.Build();
        identity.MapPost("/token", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            tokenRequests.Enqueue($"{form["grant_type"]} {form["client_id"]} {form["scope"]}");
            if (refuse || form["client_id"] != "platform" || form["client_secret"] != "app-secret")
            {
                return Results.Json(new { error = "invalid_client", error_description = "client secret expired" }, statusCode: 401);
            }

            return Results.Json(new { access_token = $"smtp-access-{Interlocked.Increment(ref issued)}", token_type = "Bearer", expires_in = 3600 });
        });
        identity.MapPost("/introspect", async (HttpContext context) =>
        {
            var token = (await context.Request.ReadFormAsync())["token"].ToString();
            return Results.Json(token.StartsWith("smtp-access-", StringComparison.Ordinal) ? new { active = true, username = Mailbox } : (object)new { active = false });
        });
        await identity.StartAsync();
        baseUrl = identity.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        sink = new SmtpSink();
        submissionPort = LocalSystem.FreeLoopbackPort();
        dovecot = await DovecotServer.StartAsync(new DovecotOptions
        {
            OAuth2IntrospectionUrl = new Uri(baseUrl + "/introspect"),
            ExtraSettings =
            [
                "protocols = imap lmtp submission",
                "hostname = localhost",
                "submission_relay_host = 127.0.0.1",
                $"submission_relay_port = {sink.Port}",
                "submission_relay_trusted = yes",
                "service submission-login {",
                "  chroot =",
                "  inet_listener submission {",
                "    address = 127.0.0.1",
                $"    port = {submissionPort}",
                "  }",
                "}",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        await dovecot.DisposeAsync();
        await sink.DisposeAsync();
        await identity.StopAsync();
        await identity.DisposeAsync();
    }

    [Fact]
    public async Task XOAuth2_TokenRefused_MessageWaitsWithTheReason_ThenTheRetrySignsInAndDelivers()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(1));
        using var factory = new PlatformFactory(clock: clock, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Email:From"] = "Acme Support <support@test.local>",
            ["SupportPlatform:Email:PollInterval"] = "00:00:00.200",
            ["SupportPlatform:Email:Smtp:Host"] = "127.0.0.1",
            ["SupportPlatform:Email:Smtp:Port"] = submissionPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SupportPlatform:Email:Smtp:Security"] = "None",
            ["SupportPlatform:Email:Smtp:UserName"] = Mailbox,
            ["SupportPlatform:Email:Smtp:OAuth2:TokenEndpoint"] = baseUrl + "/token",
            ["SupportPlatform:Email:Smtp:OAuth2:ClientId"] = "platform",
            ["SupportPlatform:Email:Smtp:OAuth2:ClientSecret"] = "app-secret",
            ["SupportPlatform:Email:Smtp:OAuth2:Scope"] = "https://outlook.office365.com/.default",
        });
        using var admin = await factory.CreateStaffClientAsync("admin");
        (await admin.PutAsJsonAsync("/api/accounts/client", new { name = "Client Ltd", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        var created = await admin.PostAsJsonAsync("/api/tickets", new { accountId = "client", requesterId = "jane@client.example", subject = "Printer offline", description = "Details." });
        created.EnsureSuccessStatusCode();
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<long>();

        // The token endpoint refuses: nothing is sent, and the outbox says why.
        var waiting = await OutboxAsync(admin, m => m["lastError"]?.GetValue<string>()?.Contains("answered 401", StringComparison.Ordinal) == true);
        Assert.Equal("pending", (string?)waiting["status"]);
        Assert.StartsWith($"No OAuth2 access token for SMTP: the token endpoint {baseUrl}/token answered 401", (string?)waiting["lastError"], StringComparison.Ordinal);
        Assert.Empty(sink.Received);

        // Tokens are issued again: the retry (after its 30 s back-off) signs in with XOAUTH2 and Dovecot relays the mail.
        refuse = false;
        clock.Advance(TimeSpan.FromSeconds(31));
        var ack = await sink.WaitForAsync(m => m.Subject!.Contains($"[#{id}]", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.Equal("jane@client.example", ack.To.Mailboxes.Single().Address);
        await OutboxAsync(admin, m => (string?)m["status"] == "sent");
        Assert.Contains("client_credentials platform https://outlook.office365.com/.default", tokenRequests);
        Assert.Equal(1, issued);
    }

    private static async Task<JsonNode> OutboxAsync(HttpClient admin, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var outbox = JsonNode.Parse(await admin.GetStringAsync("/api/admin/mail/outbox"))!.AsArray();
            if (outbox.FirstOrDefault(m => done(m!)) is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The outbox never reached the expected state: {outbox.ToJsonString()}");
            await Task.Delay(100);
        }
    }
}
