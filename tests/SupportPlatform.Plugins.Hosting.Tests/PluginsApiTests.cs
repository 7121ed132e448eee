using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Sdk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Plugins.Hosting.Tests.Infrastructure;

namespace SupportPlatform.Plugins.Hosting.Tests;

/// <summary>The admin endpoints, served by a real Kestrel on a free loopback port, wired with the public extension methods only.</summary>
public sealed class PluginsApiTests : IAsyncLifetime
{
    private readonly ScratchPlugins _plugins = new();
    private WebApplication? _app;
    private HttpClient? _client;

    public async Task InitializeAsync()
    {
        _plugins.Add(Fixtures.Sample);
        _plugins.Add(Fixtures.FutureMajorSdk);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Services.AddProblemDetails();
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.Services.AddSupportPlatformPlugins(options =>
        {
            options.PluginsPath = _plugins.PluginsPath;
            options.PluginDataPath = _plugins.DataPath;
        });
        _app = builder.Build();
        _app.MapPluginsApi();
        await _app.StartAsync();

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _plugins.Dispose();
    }

    [Fact]
    public async Task GetPlugins_PluginsFound_ListsEveryPluginWithStatusAndReason()
    {
        using var response = await _client!.GetAsync("/api/admin/plugins");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var plugins = json.RootElement.EnumerateArray().ToDictionary(p => p.GetProperty("id").GetString()!);
        Assert.Equal(2, plugins.Count);

        var sample = plugins["sample"];
        Assert.Equal("Loaded", sample.GetProperty("status").GetString());
        Assert.Equal("Sample plugin", sample.GetProperty("name").GetString());
        Assert.Equal(SdkVersion.Text, sample.GetProperty("sdkVersion").GetString());
        Assert.Equal(["health-check", "background-service"], sample.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.False(sample.TryGetProperty("configSchema", out _), "The list should stay small: the schema is in the detail.");

        var future = plugins["fixture-future-major"];
        Assert.Equal("Incompatible", future.GetProperty("status").GetString());
        Assert.Contains($"was built for SDK 2.0; this host provides SDK {SdkVersion.Text}", future.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.String, future.GetProperty("lastErrorAt").ValueKind);
    }

    [Fact]
    public async Task GetPlugin_KnownId_ReturnsPluginWithConfigSchema()
    {
        using var response = await _client!.GetAsync("/api/admin/plugins/sample");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("sample", root.GetProperty("id").GetString());
        Assert.Equal("Loaded", root.GetProperty("status").GetString());
        var properties = root.GetProperty("configSchema").GetProperty("properties");
        Assert.Equal("string", properties.GetProperty("greeting").GetProperty("type").GetString());
        Assert.Equal("integer", properties.GetProperty("heartbeatSeconds").GetProperty("type").GetString());
    }

    [Fact]
    public async Task GetPlugin_UnknownId_Returns404ProblemDetails()
    {
        using var response = await _client!.GetAsync("/api/admin/plugins/nope");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal("Plugin not found", problem.GetProperty("title").GetString());
        Assert.Contains("'nope'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void MapPluginsApi_Endpoints_TaggedAndSummarizedForOpenApi()
    {
        var endpoints = ((IEndpointRouteBuilder)_app!).DataSources.SelectMany(d => d.Endpoints)
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/admin/plugins", StringComparison.Ordinal) == true)
            .ToList();

        Assert.Equal(2, endpoints.Count);
        Assert.All(endpoints, e =>
        {
            Assert.Contains("Plugins", e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.ITagsMetadata>()!.Tags);
            Assert.False(string.IsNullOrWhiteSpace(e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IEndpointSummaryMetadata>()?.Summary));
        });
    }
}
