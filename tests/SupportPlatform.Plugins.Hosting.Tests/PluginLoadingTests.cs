using System.Runtime.Loader;
using System.Text.Json.Nodes;
using SupportPlatform.Plugins.Hosting.Tests.Infrastructure;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Tests;

public sealed class PluginLoadingTests : IDisposable
{
    private readonly ScratchPlugins _plugins = new();

    public void Dispose() => _plugins.Dispose();

    [Fact]
    public async Task Start_CompatiblePlugin_LoadedWithCapabilitiesOfHostTypes()
    {
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins, new Dictionary<string, string?>
        {
            ["Plugins:fixture-compatible:message"] = "configured message",
        });

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Loaded, plugin.Status);
        Assert.Null(plugin.Reason);
        Assert.Equal("Fixture: Compatible", plugin.Name);
        Assert.Equal(SdkVersion.Text, plugin.SdkVersion);
        Assert.Equal(["health-check", "background-service"], plugin.Capabilities);

        // Resolved at all only because the plugin's IPluginHealthCheck is the host's type (shared SDK assembly).
        var check = Assert.Single(host.Registry.GetCapabilities<IPluginHealthCheck>());
        Assert.Equal(Fixtures.CompatibleId, check.PluginId);
        Assert.IsAssignableFrom<IPluginHealthCheck>((object)check.Instance);
        var pluginContext = AssemblyLoadContext.GetLoadContext(check.Instance.GetType().Assembly);
        Assert.NotSame(AssemblyLoadContext.Default, pluginContext);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(IPluginHealthCheck).Assembly));

        var result = await check.Instance.CheckAsync(CancellationToken.None);
        Assert.Equal(PluginHealthStatus.Healthy, result.Status);
        Assert.Equal("configured message", result.Description);
    }

    [Fact]
    public async Task Start_PluginFolderShipsItsOwnSdkAssembly_HostSdkTypesStillUsed()
    {
        // An integrator who forgets ExcludeAssets="runtime" ships SupportPlatform.Sdk.dll; sharing the SDK's types keeps it unused.
        var folder = _plugins.Add(Fixtures.Compatible);
        File.Copy(typeof(IPlugin).Assembly.Location, Path.Combine(folder, "SupportPlatform.Sdk.dll"));
        await using var host = await PluginTestHost.StartAsync(_plugins);

        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
        var check = Assert.Single(host.Registry.GetCapabilities<IPluginHealthCheck>());
        Assert.Same(typeof(IPluginHealthCheck).Assembly, check.Instance.GetType().GetInterfaces().Single(i => i.Name == nameof(IPluginHealthCheck)).Assembly);
    }

    [Fact]
    public async Task Start_CompatiblePlugin_BackgroundServiceRunsAndIsCancelledAtStop()
    {
        _plugins.Add(Fixtures.Compatible);
        var host = await PluginTestHost.StartAsync(_plugins);
        var dataFolder = Path.Combine(_plugins.DataPath, Fixtures.CompatibleId);

        await Eventually.TrueAsync(() => File.Exists(Path.Combine(dataFolder, "started.txt")), "the background service started");
        await host.StopAsync();
        await host.DisposeAsync();

        Assert.True(File.Exists(Path.Combine(dataFolder, "stopped.txt")), "The background service was not cancelled at host stop.");
    }

    [Fact]
    public async Task Start_ManifestForNewerSdkMajor_IncompatibleWithReason()
    {
        _plugins.Add(Fixtures.FutureMajorSdk);
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin("fixture-future-major");
        Assert.Equal(PluginStatus.Incompatible, plugin.Status);
        Assert.Contains($"plugin 'fixture-future-major' was built for SDK 2.0; this host provides SDK {SdkVersion.Text}", plugin.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(plugin.LastErrorAt);
        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
    }

    [Fact]
    public async Task Start_ManifestForNewerSdkMinor_IncompatibleWithReason()
    {
        _plugins.Add(Fixtures.FutureMinorSdk);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin("fixture-future-minor");
        Assert.Equal(PluginStatus.Incompatible, plugin.Status);
        Assert.Contains($"built for SDK 1.99; this host provides SDK {SdkVersion.Text}", plugin.Reason, StringComparison.Ordinal);
        Assert.Empty(host.Registry.GetCapabilities<IPluginHealthCheck>());
    }

    [Fact]
    public async Task Start_ManifestForOlderSdkMajor_IncompatibleWithReason()
    {
        var folder = _plugins.Add(Fixtures.Compatible);
        ScratchPlugins.EditManifest(folder, m => m["sdkVersion"] = "0.9");
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Incompatible, plugin.Status);
        Assert.Contains($"built for SDK 0.9; this host provides SDK {SdkVersion.Text}", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AssemblyCompiledAgainstNewerSdkThanManifestSays_Incompatible()
    {
        var folder = _plugins.Add(Fixtures.Compatible);
        ScratchPlugins.PatchSdkReference(Path.Combine(folder, Fixtures.Compatible + ".dll"), 1, 7);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Incompatible, plugin.Status);
        Assert.Contains("compiled against SDK 1.7", plugin.Reason, StringComparison.Ordinal);
        Assert.Empty(host.Registry.GetCapabilities<IPluginHealthCheck>());
    }

    public static TheoryData<string, string> BrokenManifests => new()
    {
        { "{ \"id\": \"broken\", ", "is not valid" },
        { "[]", "is not valid" },
        { "{\"name\":\"n\",\"version\":\"1\",\"capabilities\":[],\"sdkVersion\":\"1.0\",\"entryAssembly\":\"x.dll\"}", "\"id\" is missing" },
        { "{\"id\":\"x\",\"name\":\"n\",\"version\":\"1\",\"capabilities\":[],\"sdkVersion\":\"1.0\"}", "\"entryAssembly\" is missing" },
        { "{\"id\":\"x\",\"name\":\"n\",\"version\":\"1\",\"capabilities\":[],\"entryAssembly\":\"x.dll\"}", "\"sdkVersion\" is missing" },
        { "{\"id\":\"x\",\"name\":\"n\",\"version\":\"1\",\"capabilities\":[],\"sdkVersion\":\"one\",\"entryAssembly\":\"x.dll\"}", "not of the form Major.Minor" },
        { "{\"id\":\"../x\",\"name\":\"n\",\"version\":\"1\",\"capabilities\":[],\"sdkVersion\":\"1.0\",\"entryAssembly\":\"x.dll\"}", "may only use letters" },
    };

    [Theory]
    [MemberData(nameof(BrokenManifests))]
    public async Task Start_BrokenManifest_InvalidWithReasonAndOthersLoaded(string manifest, string expectedReason)
    {
        var folder = _plugins.Add(Fixtures.Compatible, "broken");
        File.WriteAllText(Path.Combine(folder, "plugin.json"), manifest);
        _plugins.Add(Fixtures.Compatible, "good");
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var broken = host.Registry.GetAll().Single(p => p.Folder == folder);
        Assert.Equal(PluginStatus.Invalid, broken.Status);
        Assert.Contains(expectedReason, broken.Reason, StringComparison.Ordinal);
        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
    }

    [Fact]
    public async Task Start_ManifestMissing_InvalidNamedAfterFolder()
    {
        var folder = _plugins.Add(Fixtures.Compatible, "no-manifest");
        File.Delete(Path.Combine(folder, "plugin.json"));
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin("no-manifest");
        Assert.Equal(PluginStatus.Invalid, plugin.Status);
        Assert.Contains("plugin.json is missing", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ConfigureServicesThrows_FailedAndOtherPluginsLoaded()
    {
        _plugins.Add(Fixtures.ThrowsOnConfigure);
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var failed = host.Plugin("fixture-throws-on-configure");
        Assert.Equal(PluginStatus.Failed, failed.Status);
        Assert.Contains("InvalidOperationException: fixture: the mail server setting is missing", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
        Assert.Equal(Fixtures.CompatibleId, Assert.Single(host.Registry.GetCapabilities<IPluginHealthCheck>()).PluginId);
    }

    [Fact]
    public async Task Start_TwoEntryPoints_InvalidNamingBoth()
    {
        _plugins.Add(Fixtures.TwoEntryPoints);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin("fixture-two-entry-points");
        Assert.Equal(PluginStatus.Invalid, plugin.Status);
        Assert.Contains("FirstPlugin", plugin.Reason, StringComparison.Ordinal);
        Assert.Contains("SecondPlugin", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ExportedTypeNeedsMissingAssembly_IncompatibleAtLoad()
    {
        var folder = _plugins.Add(Fixtures.BinaryBreak);
        File.Delete(Path.Combine(folder, "SupportPlatform.PluginFixtures.Dependency.dll"));
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin("fixture-binary-break");
        Assert.Equal(PluginStatus.Incompatible, plugin.Status);
        Assert.Contains("binary incompatible", plugin.Reason, StringComparison.Ordinal);
        Assert.Contains("SupportPlatform.PluginFixtures.Dependency", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PluginWithPrivateDependency_Loaded()
    {
        _plugins.Add(Fixtures.BinaryBreak);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        Assert.Equal(PluginStatus.Loaded, host.Plugin("fixture-binary-break").Status);
    }

    [Fact]
    public async Task Start_DisabledByConfiguration_DisabledAndNotLoaded()
    {
        _plugins.Add(Fixtures.Compatible);
        await using var host = await PluginTestHost.StartAsync(_plugins, new Dictionary<string, string?>
        {
            ["Plugins:fixture-compatible:Enabled"] = "false",
        });

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Disabled, plugin.Status);
        Assert.Contains("Plugins:fixture-compatible:Enabled=false", plugin.Reason, StringComparison.Ordinal);
        Assert.Empty(host.Registry.GetCapabilities<IPluginHealthCheck>());
        Assert.False(Directory.Exists(Path.Combine(_plugins.DataPath, Fixtures.CompatibleId)), "A disabled plugin's code ran.");
    }

    [Fact]
    public async Task Start_DuplicateId_FirstLoadedSecondInvalid()
    {
        _plugins.Add(Fixtures.Compatible, "a-first");
        var second = _plugins.Add(Fixtures.Compatible, "b-second");
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var all = host.Registry.GetAll();
        Assert.Equal(2, all.Count);
        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
        var duplicate = all.Single(p => p.Folder == second);
        Assert.Equal(PluginStatus.Invalid, duplicate.Status);
        Assert.Contains("already found in folder 'a-first'", duplicate.Reason, StringComparison.Ordinal);
        Assert.Single(host.Registry.GetCapabilities<IPluginHealthCheck>());
    }

    [Fact]
    public async Task Start_PluginsFolderMissing_NoPluginsAndHostStarts()
    {
        Directory.Delete(_plugins.PluginsPath);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        Assert.Empty(host.Registry.GetAll());
        Assert.Contains(host.Logs.Messages, m => m.Contains("does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_CompatiblePlugin_ConfigSchemaAndContextFromManifest()
    {
        var folder = _plugins.Add(Fixtures.Compatible);
        ScratchPlugins.EditManifest(folder, m => m["configSchema"] = new JsonObject { ["type"] = "object" });
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Loaded, plugin.Status);
        Assert.Equal("object", plugin.ConfigSchema!.Value.GetProperty("type").GetString());
        Assert.Equal(Path.GetFullPath(folder), plugin.Folder);
    }
}
