using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Monitoring.Alertmanager.Tests;

/// <summary>A real host process with the plugin installed, and a real Alertmanager routing to it.</summary>
public sealed class AlertmanagerFixture : IAsyncLifetime
{
    public const string Token = "am-webhook-token-0123456789";

    private readonly TempDirectory data = new("sp-am-host-");

    public HostProcess Host { get; private set; } = null!;

    internal AlertmanagerServer Alertmanager { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The plugin folder as an MSP installs it: <data>/plugins/alertmanager.
        var source = Path.Combine(AppContext.BaseDirectory, "plugin", "alertmanager");
        var target = Path.Combine(data.Path, "plugins", "alertmanager");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        var port = PlatformFactory.FreePort();
        var environment = HostProcess.Environment(data.Path);
        environment["Plugins__alertmanager__bearerToken"] = Token;
        Alertmanager = await AlertmanagerServer.StartAsync(new Uri($"http://127.0.0.1:{port}/hooks/alertmanager/"), Token);
        environment["Plugins__alertmanager__apiUrl"] = Alertmanager.Address.ToString();
        Host = HostProcess.Start(environment, port);
        await Host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Staff = Host.Users.WithToken(await Host.Users.StaffTokenAsync("senior", "sam", "Sam Senior"));
    }

    public async Task DisposeAsync()
    {
        await Alertmanager.DisposeAsync();
        await Host.DisposeAsync();
        data.Dispose();
    }
}

public sealed class AlertmanagerTests(AlertmanagerFixture fixture) : IClassFixture<AlertmanagerFixture>
{
    private readonly HttpClient staff = fixture.Staff;

    [Fact]
    public async Task FireRepeatResolve_OneTicketResolved()
    {
        await DefineSystemAsync("am-acme", "am-web", "web01");
        var started = DateTimeOffset.UtcNow.AddSeconds(-5);
        var hostDown = Alert("HostDown", "web01:9100", started, null, "critical");
        await fixture.Alertmanager.PostAlertsAsync(hostDown);

        var incident = await WaitAsync("/api/monitoring/systems/am-web", s => s["openIncident"]?["ticketId"] is not null);
        var ticketId = (long)incident["openIncident"]!["ticketId"]!;
        var ticket = await WaitAsync($"/api/tickets/{ticketId}", _ => true);
        Assert.Equal("monitoring", (string)ticket["channel"]!);
        Assert.Contains("web01 is down", (string)ticket["subject"]!);

        // The same alert again, and a second one in its group: Alertmanager sends both; the first is a duplicate.
        await fixture.Alertmanager.PostAlertsAsync(hostDown, Alert("DiskFull", "web01:9100", started, null, "warning"));
        await fixture.Alertmanager.PostAlertsAsync(hostDown);
        var system = await WaitAsync("/api/monitoring/systems/am-web", s => s["checks"]!.AsArray().Count == 2);
        Assert.Equal(1, (int)system["checks"]!.AsArray().Single(c => (string)c!["name"]! == "HostDown")!["alerts"]!);
        Assert.Equal(ticketId, (long)system["openIncident"]!["ticketId"]!);
        Assert.Equal("http://prometheus.example/graph", (string?)system["checks"]![1]!["link"]);

        // Resolve: the same labels with an end time in the past.
        var ended = DateTimeOffset.UtcNow.AddSeconds(-1);
        await fixture.Alertmanager.PostAlertsAsync(Alert("HostDown", "web01:9100", started, ended, "critical"), Alert("DiskFull", "web01:9100", started, ended, "warning"));
        var resolved = await WaitAsync($"/api/tickets/{ticketId}", t => (string)t["status"]! == "resolved");
        Assert.Equal("Every check of the incident has recovered.", (string)resolved["resolutionNote"]!);
        var tickets = await staff.GetFromJsonAsync<JsonNode>("/api/tickets?accountId=am-acme&channel=monitoring");
        Assert.Equal(1, (int)tickets!["total"]!);
        // Two firings and two resolutions, each stored once however often Alertmanager sent it.
        Assert.Equal(4, (await staff.GetFromJsonAsync<JsonArray>("/api/monitoring/systems/am-web/alerts"))!.Count);
    }

    [Fact]
    public async Task TicketAcknowledged_SilenceCreatedInAlertmanager()
    {
        await DefineSystemAsync("am-ack", "am-db", "db01");
        await fixture.Alertmanager.PostAlertsAsync(Alert("PostgresDown", "db01:9187", DateTimeOffset.UtcNow.AddSeconds(-5), null, "critical"));
        var ticketId = (long)(await WaitAsync("/api/monitoring/systems/am-db", s => s["openIncident"]?["ticketId"] is not null))["openIncident"]!["ticketId"]!;
        await WaitAsync($"/api/tickets/{ticketId}", _ => true);

        (await staff.PostAsJsonAsync($"/api/tickets/{ticketId}/status", new { status = "open" })).EnsureSuccessStatusCode();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode? silence = null;
        while (silence is null)
        {
            var silences = await fixture.Alertmanager.Http.GetFromJsonAsync<JsonArray>("api/v2/silences");
            silence = silences!.FirstOrDefault(s => s!["matchers"]!.AsArray().Any(m => (string)m!["name"]! == "alertname" && (string)m["value"]! == "PostgresDown"));
            Assert.True(silence is not null || DateTime.UtcNow < deadline, "no silence was created; Alertmanager said: " + fixture.Alertmanager.Output);
            await Task.Delay(200);
        }

        Assert.Equal("Sam Senior", (string)silence!["createdBy"]!);
        Assert.Contains($"#{ticketId}", (string)silence["comment"]!);
        Assert.Equal("active", (string)silence["status"]!["state"]!);
        var history = await WaitAsync($"/api/tickets/{ticketId}/history", h => h.AsArray().Any(e => ((string?)e!["event"]!["body"] ?? "").Contains("Acknowledged at alertmanager", StringComparison.Ordinal)));
        Assert.Contains(history.AsArray(), e => ((string?)e!["event"]!["body"] ?? "").Contains((string)silence["id"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Webhook_WrongTokenOrPayload_ClearRefusalNothingStored()
    {
        var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        var payload = """{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"X","instance":"nowhere-host"},"annotations":{},"startsAt":"2026-11-28T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"abc"}]}""";

        using var noToken = await http.PostAsync("/hooks/alertmanager/", new StringContent(payload, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Contains("bearer token", await noToken.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        http.DefaultRequestHeaders.Authorization = new("Bearer", AlertmanagerFixture.Token);
        using var version3 = await http.PostAsync("/hooks/alertmanager/", new StringContent(payload.Replace("\"4\"", "\"3\""), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, version3.StatusCode);
        Assert.Contains("version 3 is not supported", await version3.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var garbage = await http.PostAsync("/hooks/alertmanager/", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.DoesNotContain((await staff.GetFromJsonAsync<JsonArray>("/api/monitoring/alerts/unmapped"))!, a => (string)a!["hostName"]! == "nowhere-host");

        using var good = await http.PostAsync("/hooks/alertmanager/", new StringContent(payload, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Contains("\"unmapped\":1", await good.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var retry = await http.PostAsync("/hooks/alertmanager/", new StringContent(payload, Encoding.UTF8, "application/json"));
        Assert.Contains("\"duplicates\":1", await retry.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static object Alert(string name, string instance, DateTimeOffset startsAt, DateTimeOffset? endsAt, string severity)
    {
        var alert = new Dictionary<string, object?>
        {
            ["labels"] = new Dictionary<string, string> { ["alertname"] = name, ["instance"] = instance, ["severity"] = severity, ["job"] = "node" },
            ["annotations"] = new Dictionary<string, string> { ["summary"] = $"{instance.Split(':')[0]} is down", ["description"] = name + " fired" },
            ["startsAt"] = startsAt,
            ["generatorURL"] = "http://prometheus.example/graph",
        };
        if (endsAt is { } end)
        {
            alert["endsAt"] = end;
        }

        return alert;
    }

    private async Task DefineSystemAsync(string account, string system, string host)
    {
        (await staff.PutAsJsonAsync($"/api/accounts/{account}", new { name = account, timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        var response = await staff.PutAsJsonAsync($"/api/monitoring/systems/{system}", new { accountId = account, hostNames = new[] { host } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonNode> WaitAsync(string url, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var response = await staff.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && JsonNode.Parse(body) is { } node && condition(node))
            {
                return node;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} did not reach the expected state: {body}\nAlertmanager: {fixture.Alertmanager.Output}");
            await Task.Delay(250);
        }
    }
}
