using SupportPlatform.Plugins.Hosting.Tests.Infrastructure;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Tests;

/// <summary>A plugin that throws while running is turned off; the host and the other plugins go on.</summary>
public sealed class PluginRuntimeTests : IDisposable
{
    private readonly ScratchPlugins _plugins = new();

    public void Dispose() => _plugins.Dispose();

    [Fact]
    public async Task Start_BackgroundServiceThrows_FailedWithReasonAndOthersLoaded()
    {
        _plugins.Add(Fixtures.ThrowingBackgroundService);
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        await Eventually.TrueAsync(() => host.Plugin("fixture-throwing-background-service").Status == PluginStatus.Failed, "the plugin is marked Failed");
        var failed = host.Plugin("fixture-throwing-background-service");
        Assert.Contains("IPluginBackgroundService threw InvalidOperationException: fixture: mailbox poller crashed", failed.Reason, StringComparison.Ordinal);
        Assert.NotNull(failed.LastErrorAt);
        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
        Assert.DoesNotContain(host.Registry.GetCapabilities<IPluginBackgroundService>(), c => c.PluginId == "fixture-throwing-background-service");
        Assert.Contains(host.Logs.Messages, m => m.Contains("fixture-throwing-background-service", StringComparison.Ordinal) && m.Contains("failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TryInvokeAsync_PluginCallThrows_MarksFailedReturnsErrorAndDoesNotThrow()
    {
        _plugins.Add(Fixtures.Compatible);
        _plugins.Add(Fixtures.Sample);
        await using var host = await PluginTestHost.StartAsync(_plugins);
        var target = host.Registry.GetCapabilities<IPluginHealthCheck>().Single(c => c.PluginId == Fixtures.CompatibleId);

        var outcome = await host.Registry.TryInvokeAsync<IPluginHealthCheck, PluginHealthResult>(
            target, (_, _) => throw new TimeZoneNotFoundException("adapter bug"), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Contains("TimeZoneNotFoundException: adapter bug", outcome.Error, StringComparison.Ordinal);
        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Failed, plugin.Status);
        Assert.Equal(outcome.Error, plugin.Reason);
        Assert.Equal("sample", Assert.Single(host.Registry.GetCapabilities<IPluginHealthCheck>()).PluginId);

        // A failed plugin is not called again.
        var again = await host.Registry.TryInvokeAsync(target, (check, token) => check.CheckAsync(token), CancellationToken.None);
        Assert.False(again.Succeeded);
        Assert.Contains("is not loaded", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryInvokeAsync_PluginCallSucceeds_ReturnsValue()
    {
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins);
        var target = Assert.Single(host.Registry.GetCapabilities<IPluginHealthCheck>());

        var outcome = await host.Registry.TryInvokeAsync(target, (check, token) => check.CheckAsync(token), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal(PluginHealthStatus.Healthy, outcome.Value!.Status);
        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
    }

    [Fact]
    public async Task TryInvokeAsync_CallerCancels_CancellationPropagatesAndPluginStaysLoaded()
    {
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins);
        var target = Assert.Single(host.Registry.GetCapabilities<IPluginHealthCheck>());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.Registry.TryInvokeAsync(
            target, (_, token) => Task.Delay(Timeout.Infinite, token), cancelled.Token));

        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
    }

    [Fact]
    public async Task MarkFailed_LoadedPlugin_FailedWithReasonAndBackgroundServiceCancelled()
    {
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins);
        var dataFolder = Path.Combine(_plugins.DataPath, Fixtures.CompatibleId);
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(dataFolder, "started.txt")), "the background service started");

        host.Registry.MarkFailed(Fixtures.CompatibleId, "returned garbage");

        Assert.Equal(PluginStatus.Failed, host.Plugin(Fixtures.CompatibleId).Status);
        Assert.Equal("returned garbage", host.Plugin(Fixtures.CompatibleId).Reason);
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(dataFolder, "stopped.txt")), "the failed plugin's background service is cancelled");
    }
}
