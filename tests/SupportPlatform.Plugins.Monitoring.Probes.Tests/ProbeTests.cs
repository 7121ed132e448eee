using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Monitoring.Probes.Tests;

/// <summary>Loopback servers for the probes to check: an HTTP server whose answer the test changes, a TCP port, two TLS servers.</summary>
public sealed class ProbeTargets : IDisposable
{
    private readonly HttpListener http = new();
    private readonly List<TcpListener> listeners = [];
    private readonly CancellationTokenSource stop = new();

    public ProbeTargets()
    {
        HttpPort = PlatformFactory.FreePort();
        http.Prefixes.Add($"http://127.0.0.1:{HttpPort}/");
        http.Start();
        _ = Task.Run(ServeHttpAsync);
        TcpPort = Listen(accept: null);
        ShortTlsPort = Listen(Certificate(days: 3));
        LongTlsPort = Listen(Certificate(days: 200));
        ClosedPort = PlatformFactory.FreePort();
    }

    public int HttpPort { get; }

    public int TcpPort { get; }

    public int ShortTlsPort { get; }

    public int LongTlsPort { get; }

    public int ClosedPort { get; }

    /// <summary>What the HTTP server answers now.</summary>
    public volatile int Status = 500;

    public void Dispose()
    {
        stop.Cancel();
        http.Close();
        foreach (var listener in listeners)
        {
            listener.Stop();
        }
    }

    private static X509Certificate2 Certificate(int days)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(days));
        // Through PKCS#12 so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private int Listen(X509Certificate2? accept)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        listeners.Add(listener);
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        if (accept is not null)
                        {
                            try
                            {
                                await using var tls = new SslStream(client.GetStream());
                                await tls.AuthenticateAsServerAsync(accept);
                                await Task.Delay(200);
                            }
                            catch (Exception)
                            {
                                // The probe closes as soon as it has the certificate.
                            }
                        }
                    }
                });
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task ServeHttpAsync()
    {
        while (http.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await http.GetContextAsync();
            }
            catch (Exception) when (!http.IsListening)
            {
                return;
            }

            var status = Status;
            var body = Encoding.UTF8.GetBytes(status == 200 ? "portal OK: all services up" : "database unavailable");
            context.Response.StatusCode = status;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }
}

/// <summary>The real host (in-process, real clock) with the probes plugin installed and six probes on two systems.</summary>
public sealed class ProbeFixture : IAsyncLifetime
{
    private readonly TempDirectory data = new("sp-probe-host-");

    public ProbeTargets Targets { get; } = new();

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "plugin", "monitoring-probes");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(data.Path, "plugins", "monitoring-probes", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        var probes = new (string System, string Check, string Kind, string Target, (string, string)[] More)[]
        {
            ("portal01", "portal", "http", $"http://127.0.0.1:{Targets.HttpPort}/health", [("expectText", "all services up")]),
            ("portal01", "ssh", "tcp", $"127.0.0.1:{Targets.TcpPort}", []),
            ("portal01", "imap", "tcp", $"127.0.0.1:{Targets.ClosedPort}", []),
            ("portal01", "cert-short", "tls", $"localhost:{Targets.ShortTlsPort}", [("allowUntrusted", "true")]),
            ("portal01", "cert-long", "tls", $"localhost:{Targets.LongTlsPort}", [("allowUntrusted", "true")]),
            ("portal01", "cert-untrusted", "tls", $"localhost:{Targets.LongTlsPort}", []),
            ("portal01", "dns-local", "dns", "localhost", [("expectAddress", "127.0.0.1")]),
            ("portal01", "dns-missing", "dns", "no-such-host.invalid", []),
        };
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < probes.Length; i++)
        {
            var prefix = $"Plugins:monitoring-probes:probes:{i}:";
            settings[prefix + "system"] = probes[i].System;
            settings[prefix + "check"] = probes[i].Check;
            settings[prefix + "kind"] = probes[i].Kind;
            settings[prefix + "target"] = probes[i].Target;
            settings[prefix + "intervalSeconds"] = "1";
            settings[prefix + "timeoutSeconds"] = "3";
            foreach (var (key, value) in probes[i].More)
            {
                settings[prefix + key] = value;
            }
        }

        Factory = new PlatformFactory(data.Path, extra: settings);
        Staff = Factory.CreateClient(await Factory.Users.StaffTokenAsync("senior", "sam", "Sam Senior"));
        (await Staff.PutAsJsonAsync("/api/accounts/probe-acme", new { name = "Probe Acme", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        (await Staff.PutAsJsonAsync("/api/monitoring/systems/acme-portal", new { accountId = "probe-acme", hostNames = new[] { "portal01" } })).EnsureSuccessStatusCode();
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        Targets.Dispose();
        data.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class ProbeTests(ProbeFixture fixture) : IClassFixture<ProbeFixture>
{
    private readonly HttpClient staff = fixture.Staff;

    private async Task<JsonObject> ChecksWhenAsync(Func<JsonObject, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        JsonObject checks = [];
        while (DateTime.UtcNow < deadline)
        {
            var system = await staff.GetFromJsonAsync<JsonNode>("/api/monitoring/systems/acme-portal");
            checks = new JsonObject(system!["checks"]!.AsArray().Select(c => KeyValuePair.Create((string)c!["name"]!, (JsonNode?)c.DeepClone())));
            if (condition(checks))
            {
                return checks;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"Timed out waiting until {what}; checks: {checks.ToJsonString()}");
        return checks;
    }

    private static string State(JsonObject checks, string name) => (string?)checks[name]?["state"] ?? "missing";

    private static string Output(JsonObject checks, string name) => (string?)checks[name]?["output"] ?? "";

    [Fact]
    public async Task EachProbeKind_ReportsItsState_WithTheReason()
    {
        var checks = await ChecksWhenAsync(c => c.Count == 8, "every probe has reported");
        Assert.Equal("ok", State(checks, "ssh"));
        Assert.Equal("critical", State(checks, "imap"));
        Assert.Contains("refused", Output(checks, "imap"), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("critical", State(checks, "cert-short"));
        Assert.Contains("expires in 2 day(s)", Output(checks, "cert-short"), StringComparison.Ordinal);
        Assert.Equal("ok", State(checks, "cert-long"));
        Assert.Equal("critical", State(checks, "cert-untrusted"));
        Assert.Contains("not trusted", Output(checks, "cert-untrusted"), StringComparison.Ordinal);
        Assert.Equal("ok", State(checks, "dns-local"));
        Assert.Equal("critical", State(checks, "dns-missing"));
        Assert.Contains("does not resolve", Output(checks, "dns-missing"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingPage_OpensOneIncidentTicket_RecoveryIsNoted_SteadyStateNotRepeated()
    {
        fixture.Targets.Status = 500;
        var failing = await ChecksWhenAsync(c => State(c, "portal") == "critical", "the portal probe fails");
        Assert.Contains("HTTP 500", Output(failing, "portal"), StringComparison.Ordinal);
        var system = await staff.GetFromJsonAsync<JsonNode>("/api/monitoring/systems/acme-portal");
        var ticketId = (long)system!["openIncident"]!["ticketId"]!;
        var ticket = await staff.GetFromJsonAsync<JsonNode>($"/api/tickets/{ticketId}");
        Assert.Equal("monitoring", (string?)ticket!["channel"]);

        // Several more runs at 1 s while it still fails: reported once (no new alert until the repeat interval).
        var alerts = (long)failing["portal"]!["alerts"]!;
        await Task.Delay(3000);
        var still = await ChecksWhenAsync(c => State(c, "portal") == "critical", "the portal probe still fails");
        Assert.Equal(alerts, (long)still["portal"]!["alerts"]!);

        fixture.Targets.Status = 200;
        var recovered = await ChecksWhenAsync(c => State(c, "portal") == "ok", "the portal probe recovers");
        Assert.Contains("HTTP 200", Output(recovered, "portal"), StringComparison.Ordinal);
        Assert.Equal(alerts + 1, (long)recovered["portal"]!["alerts"]!);
        var history = await staff.GetFromJsonAsync<JsonArray>($"/api/tickets/{ticketId}/history");
        Assert.Contains(history!, e => ((string?)e!["event"]?["body"] ?? "").Contains("portal", StringComparison.Ordinal) && ((string?)e["event"]?["body"] ?? "").Contains("OK", StringComparison.OrdinalIgnoreCase));
    }
}
