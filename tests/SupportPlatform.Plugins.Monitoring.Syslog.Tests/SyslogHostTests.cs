using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Monitoring.Syslog.Tests;

/// <summary>The real host (in-process, real clock) with the syslog plugin listening on loopback UDP and TCP ports.</summary>
public sealed class SyslogFixture : IAsyncLifetime
{
    private readonly TempDirectory data = new("sp-syslog-host-");

    public int UdpPort { get; } = FreeUdpPort();

    public int TcpPort { get; } = PlatformFactory.FreePort();

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "plugin", "monitoring-syslog");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(data.Path, "plugins", "monitoring-syslog", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        const string prefix = "Plugins:monitoring-syslog:";
        var settings = new Dictionary<string, string?>
        {
            [prefix + "bindAddress"] = "127.0.0.1",
            [prefix + "udpPort"] = UdpPort.ToString(CultureInfo.InvariantCulture),
            [prefix + "tcpPort"] = TcpPort.ToString(CultureInfo.InvariantCulture),
            [prefix + "maxMessageBytes"] = "1024",
            [prefix + "rules:0:name"] = "ssh-failed-login",
            [prefix + "rules:0:appName"] = "sshd",
            [prefix + "rules:0:pattern"] = @"^Failed password for (?:invalid user )?\S+ from (?<address>[0-9A-Fa-f:.]+)",
            [prefix + "rules:0:threshold"] = "5",
            [prefix + "rules:0:windowSeconds"] = "4",
            [prefix + "rules:1:name"] = "marker",
            [prefix + "rules:1:pattern"] = "^frame-marker ",
            [prefix + "rules:1:threshold"] = "100000",
            [prefix + "rules:1:windowSeconds"] = "60",
        };
        Factory = new PlatformFactory(data.Path, extra: settings);
        Staff = Factory.CreateClient(await Factory.Users.StaffTokenAsync("senior", "sam", "Sam Senior"));
        (await Staff.PutAsJsonAsync("/api/accounts/syslog-acme", new { name = "Syslog Acme", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        // Messages without a host name (logger --rfc5424=nohost) belong to their sender's address.
        (await Staff.PutAsJsonAsync("/api/monitoring/systems/acme-gw", new { accountId = "syslog-acme", hostNames = new[] { "127.0.0.1" } })).EnsureSuccessStatusCode();
        // logger's RFC 3164 messages carry this machine's name.
        var names = new[] { Dns.GetHostName(), Environment.MachineName }.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        (await Staff.PutAsJsonAsync("/api/monitoring/systems/acme-self", new { accountId = "syslog-acme", hostNames = names })).EnsureSuccessStatusCode();
        await ReceivedAsync(n => n >= 0, "the receiver listens");
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        data.Dispose();
        return Task.CompletedTask;
    }

    private static int FreeUdpPort()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }

    /// <summary>Feeds lines to util-linux logger, one message per line.</summary>
    public static async Task LoggerAsync(string lines, params string[] arguments)
    {
        var start = new ProcessStartInfo("logger") { RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(lines);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"logger {string.Join(' ', arguments)} failed: {error}");
    }

    /// <summary>The plugin's health line on /health/ready, e.g. "Loaded, Healthy: Listening on ...; 12 message(s) received, ...".</summary>
    public async Task<string> HealthAsync()
    {
        using var anonymous = Factory.CreateClient();
        var report = JsonNode.Parse(await anonymous.GetStringAsync("/health/ready"))!;
        var text = report.ToJsonString();
        var at = text.IndexOf("Listening on", StringComparison.Ordinal);
        return at < 0 ? text : text[at..Math.Min(text.Length, at + 400)];
    }

    public async Task<long> ReceivedAsync(Func<long, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var health = "";
        while (DateTime.UtcNow < deadline)
        {
            health = await HealthAsync();
            var match = System.Text.RegularExpressions.Regex.Match(health, @"(\d+) message\(s\) received");
            if (match.Success && long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) is var n && condition(n))
            {
                return n;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Timed out waiting until {what}; health: {health}");
        return 0;
    }
}

public sealed class SyslogHostTests(SyslogFixture fixture) : IClassFixture<SyslogFixture>
{
    private readonly HttpClient staff = fixture.Staff;

    private async Task<JsonNode> SystemWhenAsync(string id, Func<JsonNode, bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonNode system = new JsonObject();
        while (DateTime.UtcNow < deadline)
        {
            system = (await staff.GetFromJsonAsync<JsonNode>($"/api/monitoring/systems/{id}"))!;
            if (condition(system))
            {
                return system;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"Timed out waiting until {what}; system: {system.ToJsonString()}");
        return system;
    }

    private static JsonNode? Check(JsonNode system, string name) =>
        system["checks"]!.AsArray().FirstOrDefault(c => (string?)c!["name"] == name);

    private static string Failed(string address, int count) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"Failed password for root from {address} port {40000 + i} ssh2\n"));

    [Fact]
    public async Task FailedLoginBurst_OverUdp_OpensOneSecurityIncident_ThenRecovers()
    {
        // Four are under the threshold of five: nothing yet. Lines of another program never count.
        await SyslogFixture.LoggerAsync(Failed("203.0.113.9", 4), "--udp", "--server", "127.0.0.1", "--port", fixture.UdpPort.ToString(CultureInfo.InvariantCulture), "--rfc5424=nohost", "--tag", "sshd");
        await SyslogFixture.LoggerAsync(Failed("203.0.113.9", 5), "--udp", "--server", "127.0.0.1", "--port", fixture.UdpPort.ToString(CultureInfo.InvariantCulture), "--rfc5424=nohost", "--tag", "nginx");
        await Task.Delay(500);
        var quiet = (await staff.GetFromJsonAsync<JsonNode>("/api/monitoring/systems/acme-gw"))!;
        Assert.Null(Check(quiet, "ssh-failed-login 203.0.113.9"));

        await SyslogFixture.LoggerAsync(Failed("203.0.113.9", 1), "--udp", "--server", "127.0.0.1", "--port", fixture.UdpPort.ToString(CultureInfo.InvariantCulture), "--rfc5424=nohost", "--tag", "sshd");
        var raised = await SystemWhenAsync("acme-gw", s => (string?)Check(s, "ssh-failed-login 203.0.113.9")?["state"] == "critical", "the burst raises a security alert");
        var check = Check(raised, "ssh-failed-login 203.0.113.9")!;
        Assert.Contains("5 matching log lines from 203.0.113.9", (string?)check["output"], StringComparison.Ordinal);
        var ticketId = (long)raised["openIncident"]!["ticketId"]!;
        var ticket = (await staff.GetFromJsonAsync<JsonNode>($"/api/tickets/{ticketId}"))!;
        Assert.Equal("monitoring", (string?)ticket["channel"]);
        Assert.Equal("security", (string?)ticket["group"]);
        Assert.Equal("critical", (string?)ticket["priority"]);

        // More failures while raised: counted, not a second alert or incident.
        await SyslogFixture.LoggerAsync(Failed("203.0.113.9", 3), "--udp", "--server", "127.0.0.1", "--port", fixture.UdpPort.ToString(CultureInfo.InvariantCulture), "--rfc5424=nohost", "--tag", "sshd");
        await Task.Delay(1000);
        var still = (await staff.GetFromJsonAsync<JsonNode>("/api/monitoring/systems/acme-gw"))!;
        Assert.Equal(ticketId, (long)still["openIncident"]!["ticketId"]!);
        Assert.Equal(1L, (long)Check(still, "ssh-failed-login 203.0.113.9")!["alerts"]!);

        // A whole window (4 s) without a match: recovered, noted on the ticket with the total.
        var recovered = await SystemWhenAsync("acme-gw", s => (string?)Check(s, "ssh-failed-login 203.0.113.9")?["state"] == "ok", "the alert recovers after a quiet window");
        Assert.Contains("8 in all", (string?)Check(recovered, "ssh-failed-login 203.0.113.9")!["output"], StringComparison.Ordinal);
        var incidents = (await staff.GetFromJsonAsync<JsonArray>("/api/monitoring/incidents?systemId=acme-gw"))!;
        Assert.Single(incidents);
    }

    [Fact]
    public async Task Rfc3164_OverTcpWithOctetCounting_FromTheMachinesOwnName()
    {
        await SyslogFixture.LoggerAsync(Failed("198.51.100.77", 5), "--tcp", "--octet-count", "--server", "127.0.0.1", "--port", fixture.TcpPort.ToString(CultureInfo.InvariantCulture), "--rfc3164", "--tag", "sshd");
        var raised = await SystemWhenAsync("acme-self", s => (string?)Check(s, "ssh-failed-login 198.51.100.77")?["state"] == "critical", "the TCP burst raises a security alert");
        Assert.NotNull(raised["openIncident"]);
    }

    [Fact]
    public async Task TcpFraming_SplitOversizedAndMixedFrames_AreEachOneMessage()
    {
        var before = await fixture.ReceivedAsync(_ => true, "health is readable");
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, fixture.TcpPort);
        var stream = client.GetStream();
        async Task Send(string text)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text));
            await stream.FlushAsync();
            await Task.Delay(50);
        }

        static string Counted(string message) => $"{Encoding.UTF8.GetByteCount(message)} {message}";

        // 1: an octet-counted frame split in three writes, the split inside the count and inside the message.
        var first = Counted("<13>1 - - - - - - frame-marker one");
        await Send(first[..1]);
        await Send(first[1..10]);
        await Send(first[10..]);
        // 2 and 3: two frames in one write, the second a line (non-transparent framing) ending in LF.
        await Send(Counted("<13>1 - - - - - - frame-marker two") + "<13>1 - - - - - - frame-marker three\n");
        // 4: an octet-counted frame longer than maxMessageBytes (1024): cut and handled once; the rest skipped.
        var big = "<13>1 - - - - - - frame-marker four " + new string('x', 3000);
        await Send(Counted(big));
        // 5: a line longer than the limit: cut once, the rest up to its LF skipped.
        await Send("<13>1 - - - - - - frame-marker five " + new string('y', 2000) + "\n");
        // 6: still in step after all that.
        await Send(Counted("<13>1 - - - - - - frame-marker six"));
        await fixture.ReceivedAsync(n => n >= before + 6, "six messages arrive");
        await Task.Delay(500);
        Assert.Equal(before + 6, await fixture.ReceivedAsync(_ => true, "the count settles"));
        Assert.Matches(@"[1-9]\d* cut to 1024 bytes", await fixture.HealthAsync());
    }
}
