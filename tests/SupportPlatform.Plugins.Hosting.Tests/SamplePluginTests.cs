using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Plugins.Hosting.Tests.Infrastructure;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Tests;

/// <summary>The sample plugin, loaded from its built folder, end to end.</summary>
public sealed class SamplePluginTests : IDisposable
{
    private readonly ScratchPlugins _plugins = new();

    public void Dispose() => _plugins.Dispose();

    [Fact]
    public async Task Start_SampleWithConfiguration_HealthShowsGreetingAndHeartbeatFollowsHostClock()
    {
        _plugins.Add(Fixtures.Sample, "sample");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
        await using var host = await PluginTestHost.StartAsync(
            _plugins,
            new Dictionary<string, string?>
            {
                ["Plugins:sample:greeting"] = "Bonjour",
                ["Plugins:sample:heartbeatSeconds"] = "30",
            },
            services => services.AddSingleton<TimeProvider>(clock));

        Assert.Equal(PluginStatus.Loaded, host.Plugin("sample").Status);
        var check = Assert.Single(host.Registry.GetCapabilities<IPluginHealthCheck>());
        Assert.Equal("Bonjour", (await check.Instance.CheckAsync(CancellationToken.None)).Description);

        // The heartbeat waits on the host's TimeProvider: step the fake clock until the first beat, which must take 30 s of it.
        var start = clock.GetUtcNow();
        bool Beat() => host.Logs.Messages.Any(m => m.StartsWith("Heartbeat 1 from the sample plugin: Bonjour", StringComparison.Ordinal));
        await Eventually.TrueAsync(
            () =>
            {
                if (Beat())
                {
                    return true;
                }

                clock.Advance(TimeSpan.FromSeconds(1));
                return false;
            },
            "the first heartbeat is logged");
        Assert.True(clock.GetUtcNow() - start >= TimeSpan.FromSeconds(30), "The heartbeat did not wait for its interval on the host clock.");
    }

    [Fact]
    public async Task Start_SampleWithBadHeartbeatSetting_FailedNamingTheKey()
    {
        _plugins.Add(Fixtures.Sample, "sample");
        await using var host = await PluginTestHost.StartAsync(_plugins, new Dictionary<string, string?>
        {
            ["Plugins:sample:heartbeatSeconds"] = "often",
        });

        var plugin = host.Plugin("sample");
        Assert.Equal(PluginStatus.Failed, plugin.Status);
        Assert.Contains("Plugins:sample:heartbeatSeconds is 'often'", plugin.Reason, StringComparison.Ordinal);
    }
}
