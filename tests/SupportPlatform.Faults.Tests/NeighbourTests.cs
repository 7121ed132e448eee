using System.Diagnostics;
using System.Net;
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
        using (var cancelled = await client.PostAsync("/hooks/fixture-hanging/cancelled", new StringContent("x")))
        {
            Assert.Equal("1", await cancelled.Content.ReadAsStringAsync());
        }

        // Slow is not broken: the plugin stays loaded.
        var registry = host.Services.GetRequiredService<IPluginRegistry>();
        Assert.Equal(PluginStatus.Loaded, registry.Find("fixture-hanging")!.Status);
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
