using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Monitoring.Datadog.Tests;

/// <summary>A loopback stand-in for Datadog's downtime API: records each request and answers as Datadog documents.</summary>
public sealed class FakeDatadogApi : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly List<(string Path, Dictionary<string, string> Headers, string Body)> requests = [];

    public FakeDatadogApi()
    {
        Port = PlatformFactory.FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public IReadOnlyList<(string Path, Dictionary<string, string> Headers, string Body)> Requests
    {
        get
        {
            lock (requests)
            {
                return [.. requests];
            }
        }
    }

    public void Dispose() => listener.Close();

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (!listener.IsListening)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            lock (requests)
            {
                requests.Add((context.Request.Url!.AbsolutePath, context.Request.Headers.AllKeys.ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase), body));
            }

            var reply = Encoding.UTF8.GetBytes("""{"data":{"type":"downtime","id":"00e000000-0000-1234-0000-000000000000","attributes":{"status":"scheduled"}}}""");
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(reply);
            context.Response.Close();
        }
    }
}

/// <summary>The real host (in-process) with the Datadog plugin installed, and the fake Datadog API.</summary>
public sealed class DatadogFixture : IAsyncLifetime
{
    public const string Secret = "dd-webhook-secret-0123456789";

    private readonly TempDirectory data = new("sp-dd-host-");

    public FakeDatadogApi Api { get; } = new();

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "plugin", "datadog");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(data.Path, "plugins", "datadog", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        Factory = new PlatformFactory(data.Path, extra: new Dictionary<string, string?>
        {
            ["Plugins:datadog:secret"] = Secret,
            ["Plugins:datadog:apiUrl"] = $"http://127.0.0.1:{Api.Port}",
            ["Plugins:datadog:apiKey"] = "dd-api-key",
            ["Plugins:datadog:applicationKey"] = "dd-app-key",
        });
        Staff = Factory.CreateClient(await Factory.Users.StaffTokenAsync("senior", "sam", "Sam Senior"));
        foreach (var (account, system, host) in new[] { ("dd-acme", "dd-web", "web01"), ("dd-acme", "dd-db", "db02") })
        {
            (await Staff.PutAsJsonAsync($"/api/accounts/{account}", new { name = account, timeZone = "Europe/London" })).EnsureSuccessStatusCode();
            (await Staff.PutAsJsonAsync($"/api/monitoring/systems/{system}", new { accountId = account, hostNames = new[] { host } })).EnsureSuccessStatusCode();
        }
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        Api.Dispose();
        data.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class DatadogTests(DatadogFixture fixture) : IClassFixture<DatadogFixture>
{
    private readonly HttpClient staff = fixture.Staff;

    [Fact]
    public async Task TemplatePayload_RetriedTriggerRetriggerRecover_OneTicketResolvedAndAcknowledgedByDowntime()
    {
        // Datadog retries a delivery that got a 5xx or timed out: the same payload three times.
        var first = await Deliver("template-triggered.json");
        var retries = new[] { await Deliver("template-triggered.json"), await Deliver("template-triggered.json") };
        Assert.Equal("accepted", (string)first["disposition"]!);
        Assert.All(retries, r => Assert.Equal("duplicate", (string)r["disposition"]!));
        var ticketId = (long)first["ticketId"]!;
        var ticket = await WaitAsync($"/api/tickets/{ticketId}", _ => true);
        Assert.Equal(("monitoring", "high"), ((string)ticket["channel"]!, (string)ticket["priority"]!));
        Assert.Contains("CPU usage high", (string)ticket["subject"]!);

        var retriggered = await Deliver("template-retriggered.json");
        Assert.Equal(("accepted", ticketId), ((string)retriggered["disposition"]!, (long)retriggered["ticketId"]!));
        var system = await staff.GetFromJsonAsync<JsonNode>("/api/monitoring/systems/dd-web");
        Assert.Equal(2, (int)system!["checks"]![0]!["alerts"]!);
        Assert.Equal("https://app.datadoghq.com/event/event?id=7092301823741937001", (string?)(await staff.GetFromJsonAsync<JsonArray>("/api/monitoring/systems/dd-web/alerts"))![1]!["link"]);

        // Staff take the ticket: a downtime for the monitor on its scope goes to Datadog's API.
        (await staff.PostAsJsonAsync($"/api/tickets/{ticketId}/status", new { status = "open" })).EnsureSuccessStatusCode();
        await WaitAsync($"/api/tickets/{ticketId}/history", h => h.AsArray().Any(e => ((string?)e!["event"]!["body"] ?? "").Contains("Acknowledged at datadog", StringComparison.Ordinal)));
        var downtime = Assert.Single(fixture.Api.Requests);
        Assert.Equal("/api/v2/downtime", downtime.Path);
        Assert.Equal(("dd-api-key", "dd-app-key"), (downtime.Headers["DD-API-KEY"], downtime.Headers["DD-APPLICATION-KEY"]));
        var attributes = JsonNode.Parse(downtime.Body)!["data"]!["attributes"]!;
        Assert.Equal("host:web01", (string)attributes["scope"]!);
        Assert.Equal(48211, (long)attributes["monitor_identifier"]!["monitor_id"]!);
        Assert.Contains($"#{ticketId}", (string)attributes["message"]!);

        await Deliver("template-recovered.json");
        await WaitAsync($"/api/tickets/{ticketId}", t => (string)t["status"]! == "resolved");
        Assert.Equal(1, (int)(await staff.GetFromJsonAsync<JsonNode>("/api/tickets?accountId=dd-acme&channel=monitoring&q=CPU"))!["total"]!);
    }

    [Fact]
    public async Task DefaultPayload_HostFromTitleScope_Ticket()
    {
        var receipt = await Deliver("default-triggered.json", basic: true);

        Assert.Equal("accepted", (string)receipt["disposition"]!);
        var ticket = await WaitAsync($"/api/tickets/{(long)receipt["ticketId"]!}", _ => true);
        Assert.Contains("Disk almost full", (string)ticket["subject"]!);
        var system = await staff.GetFromJsonAsync<JsonNode>("/api/monitoring/systems/dd-db");
        Assert.Equal(("Disk almost full", "critical"), ((string)system!["checks"]![0]!["name"]!, (string)system["checks"]![0]!["state"]!));
    }

    [Fact]
    public async Task BadSecretOrPayload_ClearRefusal()
    {
        var http = fixture.Factory.Users.Anonymous();
        var payload = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "template-triggered.json"));

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/hooks/datadog/") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-secret-at-all");
        using var refused = await http.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("wrong secret", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var noHost = new HttpRequestMessage(HttpMethod.Post, "/hooks/datadog/")
        {
            Content = new StringContent(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "default-no-host.json")), Encoding.UTF8, "application/json"),
        };
        noHost.Headers.Add("X-SupportPlatform-Secret", DatadogFixture.Secret);
        using var bad = await http.SendAsync(noHost);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("cannot tell which system", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<JsonNode> Deliver(string fixtureName, bool basic = false)
    {
        var http = fixture.Factory.Users.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/datadog/")
        {
            Content = new StringContent(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixtureName)), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = basic
            ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("datadog:" + DatadogFixture.Secret)))
            : new AuthenticationHeaderValue("Bearer", DatadogFixture.Secret);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private async Task<JsonNode> WaitAsync(string url, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var response = await staff.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && JsonNode.Parse(body) is { } node && condition(node))
            {
                return node;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} did not reach the expected state: {body}");
            await Task.Delay(200);
        }
    }
}
