using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Faults.Tests.Infrastructure;
using SupportPlatform.Plugins.Hosting;
using SupportPlatform.Sdk.Webhooks;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Faults.Tests;

/// <summary>
/// A plugin that hangs: every call into it is bounded by SupportPlatform:Plugins:CallTimeout, its token is cancelled,
/// the caller gets an answer in time (a webhook sender a 503 to retry), and nothing else waits for it.
/// </summary>
public sealed class HangingPluginTests : IAsyncLifetime
{
    private readonly TempDirectory data = new("sp-faults-hang-");
    private PlatformFactory host = null!;

    public Task InitializeAsync()
    {
        FaultPlatform.InstallPlugins(data.Path, "fixture-hanging");
        host = new PlatformFactory(dataPath: data.Path, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Plugins:CallTimeout"] = "00:00:02",
        });
        _ = host.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        data.Dispose();
    }

    [Fact]
    public async Task HangingWebhook_Answers503AfterTheTimeout_CancelsThePlugin_OthersUnaffected()
    {
        using var client = host.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        (await client.PostAsync("/hooks/fixture-hanging/other", new StringContent("x"))).EnsureSuccessStatusCode(); // warm
        var clock = Stopwatch.StartNew();
        var hang = client.PostAsync("/hooks/fixture-hanging/hang", new StringContent("x"));
        var wait = client.PostAsync("/hooks/fixture-hanging/wait", new StringContent("x"));

        // While two requests hang in the plugin, the plugin's other hooks and the host answer at once.
        using (var ok = await client.PostAsync("/hooks/fixture-hanging/other", new StringContent("x")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var live = await client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.9), $"other requests waited {clock.Elapsed}");

        using var hung = await hang;
        var elapsed = clock.Elapsed;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, hung.StatusCode);
        Assert.Contains("did not answer", await hung.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("CallTimeout", await hung.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(hung.Headers.RetryAfter is not null, "503 without Retry-After");
        Assert.InRange(elapsed.TotalSeconds, 1.9, 10);

        using var waited = await wait;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, waited.StatusCode);
        await Eventually.TrueAsync(
            async () => await (await client.PostAsync("/hooks/fixture-hanging/cancelled", new StringContent("x"))).Content.ReadAsStringAsync() == "1",
            "the waiting handler's token is cancelled", 10);

        // Slow is not broken: the plugin stays loaded.
        var registry = host.Services.GetRequiredService<IPluginRegistry>();
        Assert.Equal(PluginStatus.Loaded, registry.Find("fixture-hanging")!.Status);
    }

    [Fact]
    public async Task BackgroundService_RunsPastTheCallTimeout()
    {
        using var client = host.CreateClient();
        async Task<string[]> TicksAsync() => (await (await client.PostAsync("/hooks/fixture-hanging/ticks", new StringContent("x"))).Content.ReadAsStringAsync()).Split(' ');
        await Eventually.TrueAsync(async () => int.Parse((await TicksAsync())[0], System.Globalization.CultureInfo.InvariantCulture) > 0, "the background service ticks", 20);
        await Task.Delay(TimeSpan.FromSeconds(4)); // twice the call timeout
        var first = await TicksAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        var second = await TicksAsync();
        Assert.Equal("running", second[1]);
        Assert.True(int.Parse(second[0], System.Globalization.CultureInfo.InvariantCulture) > int.Parse(first[0], System.Globalization.CultureInfo.InvariantCulture), "the background service stopped ticking");
        Assert.Equal(PluginStatus.Loaded, host.Services.GetRequiredService<IPluginRegistry>().Find("fixture-hanging")!.Status);
    }

    [Fact]
    public async Task HangingCapability_TryInvokeAsync_ReturnsAFailureInTime_PluginStaysLoaded()
    {
        var registry = host.Services.GetRequiredService<IPluginRegistry>();
        var handler = Assert.Single(registry.GetCapabilities<IWebhookHandler>(), c => c.PluginId == "fixture-hanging");
        var request = new WebhookRequest
        {
            Method = "POST",
            Path = "/hang",
            PublicUrl = new Uri("http://localhost/hooks/fixture-hanging/hang"),
            Query = new Dictionary<string, IReadOnlyList<string>>(),
            Headers = new Dictionary<string, IReadOnlyList<string>>(),
            Form = new Dictionary<string, IReadOnlyList<string>>(),
            Body = ReadOnlyMemory<byte>.Empty,
            ReceivedAt = DateTimeOffset.UtcNow,
        };
        var clock = Stopwatch.StartNew();
        var result = await registry.TryInvokeAsync(handler, (h, ct) => h.HandleAsync(request, ct), CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.Contains("did not answer within 2 s", result.Error, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 10);
        Assert.Equal(PluginStatus.Loaded, registry.Find("fixture-hanging")!.Status);
    }
}

/// <summary>
/// A relay that accepts connections and then says nothing: delivery gives up after SupportPlatform:Email:Smtp:Timeout,
/// records why, nobody else waits for it, and once the relay answers again the message goes out exactly once.
/// </summary>
public sealed class SlowSmtpTests
{
    [Fact]
    public async Task StalledRelay_DeliveryTimesOutAndSaysSo_ApiUnaffected_ThenSentExactlyOnce()
    {
        await using var relay = new StallingSmtpServer();
        using var data = new TempDirectory("sp-faults-smtp-");
        await using var host = new PlatformFactory(dataPath: data.Path, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Email:From"] = "Acme Support <support@msp.example>",
            ["SupportPlatform:Email:Smtp:Host"] = "127.0.0.1",
            ["SupportPlatform:Email:Smtp:Port"] = relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SupportPlatform:Email:Smtp:Security"] = "None",
            ["SupportPlatform:Email:Smtp:Timeout"] = "00:00:02",
            ["SupportPlatform:Email:PollInterval"] = "00:00:01",
        });
        using var admin = await host.CreateStaffClientAsync("admin");
        await FaultPlatform.Ok(await admin.PutAsJsonAsync("/api/accounts/slow", new { name = "Slow Ltd", timeZone = "Europe/London" }));

        // An invitation goes through the outbox; the API answers without waiting for the relay.
        var clock = Stopwatch.StartNew();
        await FaultPlatform.Ok(await admin.PostAsJsonAsync("/api/accounts/slow/users", new { email = "new.user@slow.example", name = "New User", sendInvitation = true }));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"inviting took {clock.Elapsed} with a stalled relay");

        System.Text.Json.Nodes.JsonNode? entry = null;
        await Eventually.TrueAsync(async () =>
        {
            var outbox = System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync("/api/admin/mail/outbox?status=pending"))!.AsArray();
            entry = outbox.FirstOrDefault(e => (string?)e!["to"] == "new.user@slow.example" && (int)e!["attempts"]! >= 1);
            return entry is not null;
        }, "the stalled delivery is recorded as a failed attempt", 30);
        Assert.Contains("time", (string?)entry!["lastError"] ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.True(relay.StalledConnections >= 1);

        clock.Restart();
        using (var list = await admin.GetAsync("/api/tickets"))
        {
            Assert.True(list.IsSuccessStatusCode);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the API waited {clock.Elapsed} for the mail relay");

        relay.Stalled = false;
        await FaultPlatform.Ok(await admin.PostAsync($"/api/admin/mail/outbox/{(string)entry["id"]!}/retry", null));
        await Eventually.TrueAsync(() => Task.FromResult(relay.Received.Any(r => r.To.Contains("new.user@slow.example"))), "the message is delivered once the relay answers", 30);
        await Eventually.TrueAsync(async () => System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync("/api/admin/mail/outbox?status=sent"))!.AsArray()
            .Any(e => (string?)e!["to"] == "new.user@slow.example"), "the outbox marks it sent", 15);
        await Task.Delay(2000);
        Assert.Single(relay.Received, r => r.To.Contains("new.user@slow.example"));
    }
}

/// <summary>
/// An IMAP server whose connections are cut again and again (a proxy in front of a real Dovecot resets every session)
/// while mail arrives: the IMAP plugin reconnects by itself, and every message becomes one ticket, none twice.
/// </summary>
public sealed class DroppingImapTests
{
    private const int Messages = 16;

    [Fact]
    public async Task ImapConnectionsCutRepeatedly_EveryMessageImportedOnce_MailboxRecovers()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        await using var proxy = new DroppingProxy(dovecot.ImapPort);
        using var data = new TempDirectory("sp-faults-imap-");
        FaultPlatform.InstallPlugins(data.Path, "email-imap");
        await using var host = new PlatformFactory(dataPath: data.Path, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Email:From"] = "Acme Support <support@msp.example>",
            ["Plugins:email-imap:mailboxes:0:id"] = "support",
            ["Plugins:email-imap:mailboxes:0:host"] = "127.0.0.1",
            ["Plugins:email-imap:mailboxes:0:port"] = proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Plugins:email-imap:mailboxes:0:security"] = "none",
            ["Plugins:email-imap:mailboxes:0:user"] = "support@test.local",
            ["Plugins:email-imap:mailboxes:0:password"] = DovecotServer.DefaultPassword,
            ["Plugins:email-imap:mailboxes:0:pollSeconds"] = "2",
            ["Plugins:email-imap:mailboxes:0:reconnectMaxSeconds"] = "2",
        });
        using var staff = await host.CreateStaffClientAsync("senior");
        await FaultPlatform.Ok(await staff.PutAsJsonAsync("/api/accounts/imap", new { name = "Imap Ltd", timeZone = "Europe/London", emailDomains = new[] { "imap.example" } }));

        // Mail arrives in bursts while every session is cut every 700 ms.
        using var cutting = new CancellationTokenSource();
        var cutter = Task.Run(async () =>
        {
            while (!cutting.IsCancellationRequested)
            {
                await Task.Delay(700);
                proxy.DropAll();
            }
        });
        for (var burst = 0; burst < 4; burst++)
        {
            await dovecot.DeliverManyAsync(
                Enumerable.Range(burst * (Messages / 4), Messages / 4).Select(i => System.Text.Encoding.UTF8.GetBytes(
                    $"From: Kim {i} <kim{i}@imap.example>\r\nTo: support@test.local\r\nSubject: Dropped session {i}\r\nMessage-ID: <drop-{i}@imap.example>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nText {i}.\r\n")),
                "kim@imap.example", "support@test.local");
            await Task.Delay(1500);
        }

        await Task.Delay(2000);
        await cutting.CancelAsync();
        await cutter;
        Assert.True(proxy.Dropped >= 3, $"only {proxy.Dropped} sessions were cut");

        async Task<List<string>> SubjectsAsync() =>
            [.. System.Text.Json.Nodes.JsonNode.Parse(await staff.GetStringAsync("/api/tickets?channel=email&pageSize=200"))!["items"]!.AsArray().Select(t => (string)t!["subject"]!)];
        await Eventually.TrueAsync(async () => (await SubjectsAsync()).Count >= Messages, $"all {Messages} messages are imported after the cuts stop", 60,
            async () => string.Join(", ", await SubjectsAsync()));
        var subjects = await SubjectsAsync();
        Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"Dropped session {i}").Order(StringComparer.Ordinal), subjects.Order(StringComparer.Ordinal));
        await Eventually.TrueAsync(async () => (await dovecot.ListMessageIdsAsync("support@test.local", "INBOX")).Count == 0, "the inbox is emptied", 30);
        Assert.Equal(Messages, (await dovecot.ListMessageIdsAsync("support@test.local", "Imported")).Count);
    }
}
