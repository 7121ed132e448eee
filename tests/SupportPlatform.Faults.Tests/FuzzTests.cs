using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using SupportPlatform.Ctl;
using SupportPlatform.Faults.Tests.Infrastructure;
using SupportPlatform.Plugins.Hosting;
using SupportPlatform.Plugins.Hosting.Loading;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Faults.Tests;

/// <summary>The real host in-process on its embedded database, with the monitoring and phone plugins installed, for the fuzz passes.</summary>
public sealed class FuzzHost : IAsyncLifetime
{
    public const string DatadogSecret = "fuzz-datadog-secret-0123456789";
    public const string NagiosToken = "fuzz-nagios-token-0123456789";

    private readonly TempDirectory data = new("sp-faults-fuzz-");

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    /// <summary>The syslog plugin's UDP and TCP ports (loopback).</summary>
    public int SyslogUdpPort { get; } = PlatformFactory.FreePort();

    public int SyslogTcpPort { get; } = PlatformFactory.FreePort();

    public async Task InitializeAsync()
    {
        FaultPlatform.InstallPlugins(data.Path, "alertmanager", "datadog", "nagios", "twilio", "monitoring-syslog");
        Factory = new PlatformFactory(dataPath: data.Path, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:PublicUrl"] = FaultPlatform.PublicUrl,
            ["SupportPlatform:Email:From"] = "Acme Support <support@msp.example>",
            ["Plugins:alertmanager:bearerToken"] = FaultPlatform.AlertmanagerToken,
            ["Plugins:twilio:authToken"] = FaultPlatform.TwilioAuthToken,
            ["Plugins:datadog:secret"] = DatadogSecret,
            ["Plugins:nagios:token"] = NagiosToken,
            ["Plugins:email-imap:Enabled"] = "false",
            ["Plugins:monitoring-syslog:bindAddress"] = "127.0.0.1",
            ["Plugins:monitoring-syslog:udpPort"] = SyslogUdpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Plugins:monitoring-syslog:tcpPort"] = SyslogTcpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Plugins:monitoring-syslog:maxMessageBytes"] = "1024",
            ["Plugins:monitoring-syslog:rules:0:name"] = "fuzz-canary",
            ["Plugins:monitoring-syslog:rules:0:pattern"] = @"^fuzz-canary from (?<address>[0-9.]+)$",
            ["Plugins:monitoring-syslog:rules:0:threshold"] = "3",
            ["Plugins:monitoring-syslog:rules:0:windowSeconds"] = "600",
        });
        Staff = await Factory.CreateStaffClientAsync("senior", "fuzzer", "Fuzz Senior");
        Anonymous = Factory.CreateClient();
        await FaultPlatform.DefineAsync(Staff);
        await FaultPlatform.SetAgentOnDutyAsync(Staff, "fuzzer");
        // Syslog lines without a host name belong to their sender, this machine's loopback address.
        (await Staff.PutAsJsonAsync("/api/monitoring/systems/syslog-loopback", new { accountId = FaultPlatform.Account, name = "Syslog sender", hostNames = new[] { "127.0.0.1" } })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        data.Dispose();
    }
}

/// <summary>
/// Every parser that takes input from outside, fed its corpus, mutations and random bytes: the outcome is always an
/// answer that says what was wrong (4xx) or a stored result (2xx, a quarantine for mail), never a 5xx, an unhandled
/// exception or a ticket that cannot be read back.
/// </summary>
public sealed class FuzzTests(FuzzHost host) : IClassFixture<FuzzHost>
{
    private static readonly HttpStatusCode[] Clear =
    [
        HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed,
        HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType, HttpStatusCode.UnprocessableEntity,
    ];

    private static async Task<string> ExpectClearAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status is >= 200 and < 300 || Clear.Contains(response.StatusCode), $"{what}: {status} {body}");
        if (status >= 400)
        {
            // A refusal says what was wrong, in words.
            Assert.False(string.IsNullOrWhiteSpace(body), $"{what}: {status} without a reason");
        }

        return body;
    }

    private async Task RunAsync(string target, Func<byte[], Task> attempt, long iterations)
    {
        var corpus = Fuzz.Corpus(target);
        Assert.NotEmpty(corpus);
        foreach (var (name, content) in corpus)
        {
            await attempt(content); // the corpus, including inputs that once failed (regression cases)
        }

        await Fuzz.Inputs(corpus).SampleAsync(attempt, iter: Fuzz.Iterations(iterations), threads: 2, print: Fuzz.Print);
    }

    [Fact]
    public async Task MimeImport_AnyMessage_IsStoredQuarantinedOrRefusedClearly_NeverHalfWritten()
    {
        var tickets = new ConcurrentBag<long>();
        await RunAsync("mime", async input =>
        {
            using var response = await host.Staff.PostAsync("/api/mail/inbound/fuzz", new ByteArrayContent(input));
            var body = await ExpectClearAsync(response, "inbound mail " + Fuzz.Print(input));
            if (response.IsSuccessStatusCode)
            {
                var answer = JsonNode.Parse(body)!;
                Assert.False(string.IsNullOrEmpty((string?)answer["disposition"]), body);
                if (answer["ticketId"] is { } id)
                {
                    tickets.Add(long.Parse(id.ToString(), System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }, 150);

        // Every ticket mail opened or commented on reads back whole, with its history.
        foreach (var id in tickets.Distinct())
        {
            var ticket = JsonNode.Parse(await host.Staff.GetStringAsync($"/api/tickets/{id}"))!;
            Assert.False(string.IsNullOrEmpty((string?)ticket["subject"]), ticket.ToJsonString());
            Assert.NotEmpty(JsonNode.Parse(await host.Staff.GetStringAsync($"/api/tickets/{id}/history"))!.AsArray());
        }
    }

    [Fact]
    public Task AlertmanagerWebhook_AnyPayload_AnswersClearly() => RunAsync("alertmanager", async input =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/alertmanager/") { Content = new ByteArrayContent(input) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FaultPlatform.AlertmanagerToken);
        await ExpectClearAsync(await host.Anonymous.SendAsync(request), "alertmanager " + Fuzz.Print(input));
    }, 120);

    [Fact]
    public Task DatadogWebhook_AnyPayload_AnswersClearly() => RunAsync("datadog", async input =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/datadog/") { Content = new ByteArrayContent(input) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FuzzHost.DatadogSecret);
        await ExpectClearAsync(await host.Anonymous.SendAsync(request), "datadog " + Fuzz.Print(input));
    }, 120);

    [Fact]
    public Task NagiosWebhook_AnyForm_AnswersClearly() => RunAsync("nagios", async input =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/nagios/") { Content = new ByteArrayContent(input) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FuzzHost.NagiosToken);
        await ExpectClearAsync(await host.Anonymous.SendAsync(request), "nagios " + Fuzz.Print(input));
    }, 120);

    [Fact]
    public Task TwilioWebhooks_AnySignedForm_AnswersClearly()
    {
        string[] hooks = ["voice", "dial-action?attempt=0", "number-status", "record-action", "recording-status", "transcription", "status"];
        var next = 0;
        return RunAsync("twilio", async input =>
        {
            // Signed like Twilio signs, so the fuzzed form reaches the parser behind the signature check.
            var hook = hooks[Interlocked.Increment(ref next) % hooks.Length];
            var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Encoding.UTF8.GetString(input))
                .ToDictionary(p => p.Key, p => p.Value.Count > 0 ? p.Value[0] ?? "" : "", StringComparer.Ordinal);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/" + hook) { Content = new ByteArrayContent(input) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
            request.Headers.Add("X-Twilio-Signature", FaultPlatform.TwilioSignature(FaultPlatform.PublicUrl + "hooks/twilio/" + hook, form));
            await ExpectClearAsync(await host.Anonymous.SendAsync(request), $"twilio {hook} " + Fuzz.Print(input));
        }, 120);
    }

    [Fact]
    public async Task PluginManifest_AnyContent_IsReportedNeverThrown()
    {
        using var folder = new TempDirectory("sp-faults-manifest-");
        var count = 0;
        await RunAsync("manifest", input =>
        {
            var plugin = Path.Combine(folder.Path, "p" + Interlocked.Increment(ref count));
            Directory.CreateDirectory(plugin);
            File.WriteAllBytes(Path.Combine(plugin, "plugin.json"), input);
            var report = PluginFolderCheck.Inspect(plugin);
            if (report.Status != PluginStatus.Loaded)
            {
                Assert.False(string.IsNullOrWhiteSpace(report.Problem), $"{report.Status} without a reason for {Fuzz.Print(input)}");
            }

            // Nothing in a manifest reaches outside its folder.
            Assert.False(report.Manifest is { EntryAssembly: { } entry } && report.Status == PluginStatus.Loaded && !Path.GetFullPath(Path.Combine(plugin, entry)).StartsWith(plugin, StringComparison.Ordinal));
            return Task.CompletedTask;
        }, 300);
    }

    [Fact]
    public async Task Syslog_AnyDatagramOrTcpStream_IsHandledAndTheReceiverKeepsWorking()
    {
        // Each input as one UDP datagram and as the whole content of one TCP connection (so the framing is fuzzed
        // too: octet counts, lines, cut frames). Nothing answers a syslog sender, so what is checked is that nothing
        // stops: the listeners still take messages afterwards, a rule still fires on them, and the plugin is healthy.
        using var udp = new System.Net.Sockets.UdpClient();
        udp.Connect(IPAddress.Loopback, host.SyslogUdpPort);
        await RunAsync("syslog", async input =>
        {
            if (input.Length is > 0 and <= 8192)
            {
                await udp.SendAsync(input);
            }

            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, host.SyslogTcpPort);
            try
            {
                await tcp.GetStream().WriteAsync(input);
            }
            catch (IOException)
            {
                // The receiver may close a connection whose octet count is malformed, as documented.
            }
        }, 150);

        // Three canary lines over UDP and three over one TCP connection, from two addresses: each burst reaches the
        // rule's threshold, so two security alerts are raised on the loopback sender's system.
        foreach (var i in Enumerable.Range(0, 3))
        {
            await udp.SendAsync(Encoding.UTF8.GetBytes("<38>1 - - canary - - - fuzz-canary from 192.0.2.11"));
        }

        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, host.SyslogTcpPort);
            var line = "<38>1 - - canary - - - fuzz-canary from 192.0.2.12";
            var frames = string.Concat(Enumerable.Repeat($"{Encoding.UTF8.GetByteCount(line)} {line}", 3));
            await tcp.GetStream().WriteAsync(Encoding.UTF8.GetBytes(frames));
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode system = new JsonObject();
        bool Raised(string address) => system["checks"]?.AsArray().Any(c => (string?)c!["name"] == "fuzz-canary " + address && (string?)c["state"] == "critical") == true;
        while (DateTime.UtcNow < deadline && !(Raised("192.0.2.11") && Raised("192.0.2.12")))
        {
            await Task.Delay(200);
            system = JsonNode.Parse(await host.Staff.GetStringAsync("/api/monitoring/systems/syslog-loopback"))!;
        }

        Assert.True(Raised("192.0.2.11") && Raised("192.0.2.12"), "after the fuzz pass the canary bursts over UDP and TCP raise their alerts: " + system.ToJsonString());
        var health = await host.Anonymous.GetStringAsync("/health/ready");
        Assert.Contains("Listening on", health, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("csv-clients")]
    [InlineData("csv-contacts")]
    public async Task CsvImport_AnyFile_ChecksOrRefusesWithLineNumbers(string target)
    {
        using var folder = new TempDirectory("sp-faults-csv-");
        var token = await host.Factory.Users.StaffTokenAsync("admin");
        using var http = host.Factory.CreateClient();
        var count = 0;
        await RunAsync(target, async input =>
        {
            var path = Path.Combine(folder.Path, $"f{Interlocked.Increment(ref count)}.csv");
            await File.WriteAllBytesAsync(path, input);
            using var output = new StringWriter();
            using var error = new StringWriter();
            // A dry run checks every line against the running host (contacts: that their account exists) and writes nothing.
            var console = new CtlConsole(output, error, new Dictionary<string, string>(), url => http, useSystemConfig: false);
            var import = new CsvImport(new PlatformApi(http, http.BaseAddress!, token), console);
            try
            {
                var code = target == "csv-clients" ? await import.ImportClientsAsync(path, dryRun: true, CancellationToken.None) : await import.ImportContactsAsync(path, invite: false, dryRun: true, CancellationToken.None);
                Assert.Equal(0, code);
            }
            catch (CtlException ex)
            {
                Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            }
        }, 300);
    }
}
