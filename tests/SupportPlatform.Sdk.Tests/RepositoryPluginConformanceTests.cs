using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MailKit.Net.Smtp;
using MimeKit;
using SupportPlatform.Plugins.Email.Imap;
using SupportPlatform.Plugins.Email.Smtp;
using SupportPlatform.Plugins.Monitoring.Alertmanager;
using SupportPlatform.Plugins.Monitoring.Datadog;
using SupportPlatform.Plugins.Monitoring.Nagios;
using SupportPlatform.Plugins.Sample;
using SupportPlatform.Plugins.Telephony.Twilio;
using SupportPlatform.Sdk.Testing;
using SupportPlatform.Sdk.Testing.Conformance;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Sdk.Tests;

/// <summary>The conformance kit run against every plugin in the repository, as an integrator runs it against theirs.</summary>
public sealed class RepositoryPluginConformanceTests
{
    private const string Secret = "conformance-secret-0123456789";

    [Fact]
    public async Task Sample_HealthCheckBackgroundServiceAndManifest_Conform()
    {
        await using var harness = PluginHarness.Create(new SamplePlugin(), o =>
        {
            o.PluginId = "sample";
            o.Settings["heartbeatSeconds"] = "1";
        });

        var report = ManifestConformance.Check(Repository.PluginOutput("SupportPlatform.Plugins.Sample"), harness)
            .Add(await CapabilityConformance.HealthChecksAsync(harness))
            .Add(await CapabilityConformance.BackgroundServicesAsync(harness));

        report.ThrowIfFailed();
    }

    [Fact]
    public async Task Alertmanager_WebhookAcknowledgerAndManifest_Conform()
    {
        await using var harness = PluginHarness.Create(new AlertmanagerPlugin(), o =>
        {
            o.PluginId = "alertmanager";
            o.Settings["bearerToken"] = Secret;
            o.Settings["apiUrl"] = $"http://127.0.0.1:{ClosedPort()}/";
        });
        const string payload = """
            {"version":"4","status":"firing","receiver":"supportplatform","groupKey":"{}:{alertname=\"DiskFull\"}","externalURL":"http://alertmanager:9093",
             "alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"db01:9100","severity":"critical"},
                        "annotations":{"summary":"Disk / is 97% full"},"startsAt":"2026-11-28T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
                        "generatorURL":"http://prometheus:9090/graph","fingerprint":"a1b2c3d4e5f60718"}]}
            """;

        var report = await WebhookConformance.RunAsync(harness, new WebhookScenario
        {
            Delivery = h => h.PostJson("/", payload),
            Authenticate = (_, r) => r.WithHeader("Authorization", "Bearer " + Secret),
            BadRequests = { new("an alert without a fingerprint", h => h.PostJson("/", payload.Replace("\"fingerprint\":\"a1b2c3d4e5f60718\"", "\"x\":\"y\"", StringComparison.Ordinal))) },
        });
        report.Add(await CapabilityConformance.AcknowledgersAsync(harness))
            .Add(ManifestConformance.Check(Repository.PluginOutput("SupportPlatform.Plugins.Monitoring.Alertmanager"), harness));

        report.ThrowIfFailed();
    }

    [Fact]
    public async Task Datadog_WebhookAcknowledgerAndManifest_Conform()
    {
        await using var harness = PluginHarness.Create(new DatadogPlugin(), o =>
        {
            o.PluginId = "datadog";
            o.Settings["secret"] = Secret;
            o.Settings["apiUrl"] = $"http://127.0.0.1:{ClosedPort()}/";
            o.Settings["apiKey"] = "api-key";
            o.Settings["applicationKey"] = "application-key";
        });
        var payload = File.ReadAllText(Path.Combine(Repository.Root, "tests", "SupportPlatform.Plugins.Monitoring.Datadog.Tests", "Fixtures", "template-triggered.json"));

        var report = await WebhookConformance.RunAsync(harness, new WebhookScenario
        {
            Delivery = h => h.PostJson("/", payload),
            Authenticate = (_, r) => r.WithHeader("Authorization", "Bearer " + Secret),
            BadRequests = { new("a payload without a title", h => h.PostJson("/", """{"id":"1","hostname":"web01","transition":"Triggered"}""")) },
        });
        report.Add(await CapabilityConformance.AcknowledgersAsync(harness))
            .Add(ManifestConformance.Check(Repository.PluginOutput("SupportPlatform.Plugins.Monitoring.Datadog"), harness));

        report.ThrowIfFailed();
    }

    [Fact]
    public async Task Nagios_WebhookAcknowledgerAndManifest_Conform()
    {
        var commandFile = Path.Combine(Path.GetTempPath(), $"sp-nagios-cmd-{Guid.NewGuid():n}");
        File.WriteAllText(commandFile, "");
        try
        {
            await using var harness = PluginHarness.Create(new NagiosPlugin(), o =>
            {
                o.PluginId = "nagios";
                o.Settings["token"] = Secret;
                o.Settings["commandFile"] = commandFile;
            });
            KeyValuePair<string, string>[] notification =
            [
                new("type", "PROBLEM"), new("host", "web01"), new("service", "HTTP"), new("state", "CRITICAL"),
                new("output", "HTTP CRITICAL - connection refused"), new("time", "1795860000"), new("problemId", "4711"),
            ];

            var report = await WebhookConformance.RunAsync(harness, new WebhookScenario
            {
                Delivery = h => h.PostForm("/", notification),
                Authenticate = (_, r) => r.WithHeader("Authorization", "Bearer " + Secret),
                BadRequests = { new("a state that is not a Nagios state", h => h.PostForm("/", [.. notification.Select(f => f.Key == "state" ? new KeyValuePair<string, string>("state", "ON FIRE") : f)])) },
            });
            report.Add(await CapabilityConformance.AcknowledgersAsync(harness))
                .Add(ManifestConformance.Check(Repository.PluginOutput("SupportPlatform.Plugins.Monitoring.Nagios"), harness));

            report.ThrowIfFailed();
            Assert.Equal("", File.ReadAllText(commandFile)); // a cancelled acknowledgement wrote nothing
        }
        finally
        {
            File.Delete(commandFile);
        }
    }

    [Fact]
    public async Task Twilio_SignedWebhookTelephonyAndManifest_Conform()
    {
        await using var harness = PluginHarness.Create(new TwilioPlugin(), o =>
        {
            o.PluginId = "twilio";
            o.Settings["authToken"] = Secret;
        });
        KeyValuePair<string, string>[] call =
        [
            new("CallSid", "CA0123456789abcdef0123456789abcdef"), new("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            new("From", "+15550111"), new("To", "+15550199"), new("CallStatus", "ringing"), new("Direction", "inbound"),
        ];

        var report = await WebhookConformance.RunAsync(harness, new WebhookScenario
        {
            Delivery = h => h.PostForm("/voice", call),
            Authenticate = (_, r) => r.WithHeader("X-Twilio-Signature", TwilioSignature(r)),
            BadRequests = { new("a callback without a CallSid", h => h.PostForm("/voice", [.. call.Where(f => f.Key != "CallSid")])) },
        });
        report.Add(CapabilityConformance.Telephony(harness))
            .Add(ManifestConformance.Check(Repository.PluginOutput("SupportPlatform.Plugins.Telephony.Twilio"), harness));

        report.ThrowIfFailed();
    }

    [Fact]
    public async Task Smtp_MailAdapterHealthCheckBackgroundServiceAndManifest_Conform()
    {
        var port = ClosedPort();
        await using var harness = PluginHarness.Create(new SmtpPlugin(), o =>
        {
            o.PluginId = "email-smtp";
            o.Settings["address"] = "127.0.0.1";
            o.Settings["port"] = port.ToString(CultureInfo.InvariantCulture);
            o.Settings["recipients:0"] = "support@example.test";
        });
        var report = ManifestConformance.Check(Repository.PluginOutput("SupportPlatform.Plugins.Email.Smtp"), harness)
            .Add(await CapabilityConformance.BackgroundServicesAsync(harness));

        using (var stop = new CancellationTokenSource())
        {
            var listener = Task.Run(() => harness.BackgroundServices[0].RunAsync(stop.Token));
            await WaitListeningAsync(port);
            report.Add(await MailAdapterConformance.RunAsync(harness, async (message, ct) =>
            {
                using var client = new SmtpClient();
                await client.ConnectAsync("127.0.0.1", port, MailKit.Security.SecureSocketOptions.None, ct);
                await client.SendAsync(MimeMessage.Load(new MemoryStream(message), ct), ct);
                await client.DisconnectAsync(true, ct);
            }));
            report.Add(await CapabilityConformance.HealthChecksAsync(harness));
            await stop.CancelAsync();
            await listener.WaitAsync(TimeSpan.FromSeconds(10));
        }

        report.ThrowIfFailed();
    }

    [Fact]
    public async Task Imap_UnreachableServer_HealthCheckAndBackgroundServiceAndManifest_Conform()
    {
        await using var harness = PluginHarness.Create(new ImapPlugin(), o =>
        {
            o.PluginId = "email-imap";
            o.Settings["mailboxes:0:id"] = "support";
            o.Settings["mailboxes:0:host"] = "127.0.0.1";
            o.Settings["mailboxes:0:port"] = ClosedPort().ToString(CultureInfo.InvariantCulture);
            o.Settings["mailboxes:0:security"] = "none";
            o.Settings["mailboxes:0:user"] = "support";
            o.Settings["mailboxes:0:password"] = "secret";
        });

        var report = ManifestConformance.Check(Repository.PluginOutput("SupportPlatform.Plugins.Email.Imap"), harness)
            .Add(await CapabilityConformance.BackgroundServicesAsync(harness, runFor: TimeSpan.FromMilliseconds(500)))
            .Add(await CapabilityConformance.HealthChecksAsync(harness));

        report.ThrowIfFailed();
    }

    /// <summary>Twilio's signature, computed here independently: base64 HMAC-SHA1 of the URL and each form key and value, keys sorted ordinally.</summary>
    private static string TwilioSignature(WebhookRequest request)
    {
        var data = new StringBuilder(request.PublicUrl.ToString());
        foreach (var (key, values) in request.Form.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            foreach (var value in values)
            {
                data.Append(key).Append(value);
            }
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>A loopback port nothing listens on.</summary>
    private static int ClosedPort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private static async Task WaitListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
