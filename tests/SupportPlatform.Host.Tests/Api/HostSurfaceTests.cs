using System.Net;
using System.Text.Json;

namespace SupportPlatform.Host.Tests.Api;

/// <summary>The host's own surface on the embedded default: health, OpenAPI, metrics, landing page, system info.</summary>
public sealed class HostSurfaceTests : IClassFixture<HostSurfaceTests.Fixture>
{
    private readonly HttpClient client;

    public HostSurfaceTests(Fixture fixture) => client = fixture.Staff;

    public sealed class Fixture : IAsyncLifetime
    {
        public PlatformFactory Factory { get; } = new();

        /// <summary>A staff client: OpenAPI, metrics and the system API are for staff.</summary>
        public HttpClient Staff { get; private set; } = null!;

        public async Task InitializeAsync() => Staff = await Factory.CreateStaffClientAsync("agent");

        public Task DisposeAsync()
        {
            Factory.Dispose();
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task HealthLive_Running_Healthy()
    {
        var response = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", Json(await response.Content.ReadAsStringAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthReady_EmbeddedDatabase_StorageAndSiloHealthy()
    {
        var response = await client.GetAsync("/health/ready");
        var report = Json(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = report.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("storage").GetProperty("status").GetString());
        Assert.Contains("Sqlite", checks.GetProperty("storage").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Healthy", checks.GetProperty("silo").GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_Document_ListsModuleEndpoints()
    {
        var document = Json(await client.GetStringAsync("/openapi/v1.json"));

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/system/info", out _));
        Assert.True(paths.TryGetProperty("/api/system/activations/{key}", out _));
    }

    [Fact]
    public async Task Metrics_PrometheusScrape_ExportsAspNetCoreAndRuntime()
    {
        await client.GetAsync("/health/live");

        var text = await client.GetStringAsync("/metrics");

        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_Browser_ServesLandingPage()
    {
        var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1>SupportPlatform</h1>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemInfo_SingleNode_ListsItselfAsOnlyMember()
    {
        var info = Json(await client.GetStringAsync("/api/system/info"));

        Assert.Equal("SupportPlatform", info.GetProperty("product").GetString());
        var member = Assert.Single(info.GetProperty("clusterMembers").EnumerateArray());
        Assert.Equal(info.GetProperty("silo").GetString(), member.GetString());
    }

    [Fact]
    public async Task UnknownApiRoute_Get_ProblemDetails404()
    {
        var response = await client.GetAsync("/api/nothing-here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
