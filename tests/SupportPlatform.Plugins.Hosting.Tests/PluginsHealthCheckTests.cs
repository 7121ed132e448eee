using Microsoft.Extensions.Diagnostics.HealthChecks;
using SupportPlatform.Plugins.Hosting.Tests.Infrastructure;

namespace SupportPlatform.Plugins.Hosting.Tests;

public sealed class PluginsHealthCheckTests : IDisposable
{
    private readonly ScratchPlugins _plugins = new();

    public void Dispose() => _plugins.Dispose();

    [Fact]
    public async Task CheckHealth_AllLoadedAndHealthy_HealthyWithEveryPluginInData()
    {
        _plugins.Add(Fixtures.Compatible);
        _plugins.Add(Fixtures.Sample);
        await using var host = await PluginTestHost.StartAsync(_plugins, new Dictionary<string, string?>
        {
            ["Plugins:sample:greeting"] = "Hi from config",
        });

        var report = await host.CheckHealthAsync();

        var entry = report.Entries["plugins"];
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("Loaded, Healthy: Hi from config", entry.Data["sample"]);
        Assert.Equal("Loaded, Healthy: compatible fixture is fine", entry.Data["fixture-compatible"]);
    }

    [Fact]
    public async Task CheckHealth_PluginRefusedOrFailedAtLoad_DegradedListingStatusAndReason()
    {
        _plugins.Add(Fixtures.Compatible);
        _plugins.Add(Fixtures.FutureMajorSdk);
        _plugins.Add(Fixtures.ThrowsOnConfigure);
        var broken = _plugins.Add(Fixtures.Compatible, "broken");
        File.WriteAllText(Path.Combine(broken, "plugin.json"), "{");
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var entry = (await host.CheckHealthAsync()).Entries["plugins"];

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.StartsWith("Incompatible: Plugin 'fixture-future-major' was built for SDK 2.0", (string)entry.Data["fixture-future-major"], StringComparison.Ordinal);
        Assert.StartsWith("Failed: ", (string)entry.Data["fixture-throws-on-configure"], StringComparison.Ordinal);
        Assert.StartsWith("Invalid: plugin.json is not valid", (string)entry.Data["broken"], StringComparison.Ordinal);
        Assert.Equal("Loaded, Healthy: compatible fixture is fine", entry.Data["fixture-compatible"]);
        Assert.Contains("fixture-future-major is Incompatible", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHealth_PluginHealthCheckThrows_DegradedAndPluginFailedOthersHealthy()
    {
        _plugins.Add(Fixtures.ThrowingHealthCheck);
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var entry = (await host.CheckHealthAsync()).Entries["plugins"];

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        var failed = host.Plugin("fixture-throwing-health-check");
        Assert.Equal(PluginStatus.Failed, failed.Status);
        Assert.Contains("IPluginHealthCheck threw InvalidOperationException: fixture: health check exploded", failed.Reason, StringComparison.Ordinal);
        Assert.Equal($"Failed: {failed.Reason}", entry.Data["fixture-throwing-health-check"]);
        Assert.Equal("Loaded, Healthy: compatible fixture is fine", entry.Data["fixture-compatible"]);
    }

    [Fact]
    public async Task CheckHealth_PluginHealthCheckHangs_DegradedAfterTimeoutAndPluginStaysLoaded()
    {
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(
            _plugins,
            new Dictionary<string, string?> { ["Plugins:fixture-compatible:hang"] = "true" },
            healthCheckTimeout: TimeSpan.FromMilliseconds(300));

        var started = System.Diagnostics.Stopwatch.StartNew();
        var entry = (await host.CheckHealthAsync()).Entries["plugins"];

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"The health check took {started.Elapsed}.");
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal("Loaded, Degraded: Health check did not answer within 0.3 s.", entry.Data["fixture-compatible"]);
        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
    }

    [Fact]
    public async Task CheckHealth_DisabledPlugin_HealthyAndListedAsDisabled()
    {
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins, new Dictionary<string, string?>
        {
            ["Plugins:fixture-compatible:Enabled"] = "false",
        });

        var entry = (await host.CheckHealthAsync()).Entries["plugins"];

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.StartsWith("Disabled: ", (string)entry.Data["fixture-compatible"], StringComparison.Ordinal);
    }
}
