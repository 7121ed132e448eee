using SupportPlatform.Plugins.Hosting.Tests.Infrastructure;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Tests;

/// <summary>A manifest must not make the host load code from outside the plugin's folder.</summary>
public sealed class PluginPathSafetyTests : IDisposable
{
    private const string EntryAssembly = Fixtures.Compatible + ".dll";
    private readonly ScratchPlugins _plugins = new();

    public void Dispose() => _plugins.Dispose();

    [Fact]
    public async Task Start_EntryAssemblyWithParentTraversal_InvalidAndNotLoaded()
    {
        var folder = _plugins.Add(Fixtures.Compatible);

        // "../../x.dll" from <base>/plugins/<folder>/ is <base>/x.dll: put a real plugin there, so only the path check can refuse it.
        File.Copy(Path.Combine(folder, EntryAssembly), Path.Combine(_plugins.BasePath, "x.dll"));
        ScratchPlugins.EditManifest(folder, m => m["entryAssembly"] = "../../x.dll");
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Invalid, plugin.Status);
        Assert.Contains("'../../x.dll' points outside the plugin folder", plugin.Reason, StringComparison.Ordinal);
        Assert.Empty(host.Registry.GetCapabilities<IPluginHealthCheck>());
    }

    [Fact]
    public async Task Start_EntryAssemblyWithAbsolutePath_InvalidAndNotLoaded()
    {
        var folder = _plugins.Add(Fixtures.Compatible);
        var absolute = Path.Combine(_plugins.BasePath, "elsewhere.dll");
        File.Copy(Path.Combine(folder, EntryAssembly), absolute);
        ScratchPlugins.EditManifest(folder, m => m["entryAssembly"] = absolute);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Invalid, plugin.Status);
        Assert.Contains("is an absolute path", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_EntryAssemblyIsSymlinkOutOfFolder_InvalidAndNotLoaded()
    {
        var folder = _plugins.Add(Fixtures.Compatible);
        var outside = Path.Combine(_plugins.BasePath, "outside.dll");
        File.Move(Path.Combine(folder, EntryAssembly), outside);
        File.CreateSymbolicLink(Path.Combine(folder, EntryAssembly), outside);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Invalid, plugin.Status);
        Assert.Contains("symbolic link", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_EntryAssemblyUnderSymlinkedSubfolderOutOfFolder_InvalidAndNotLoaded()
    {
        var folder = _plugins.Add(Fixtures.Compatible);
        var outsideFolder = Directory.CreateDirectory(Path.Combine(_plugins.BasePath, "outside")).FullName;
        File.Copy(Path.Combine(folder, EntryAssembly), Path.Combine(outsideFolder, EntryAssembly));
        Directory.CreateSymbolicLink(Path.Combine(folder, "lib"), outsideFolder);
        ScratchPlugins.EditManifest(folder, m => m["entryAssembly"] = "lib/" + EntryAssembly);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Invalid, plugin.Status);
        Assert.Contains("symbolic link", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_OtherFileIsSymlinkOutOfFolder_InvalidAndNotLoaded()
    {
        var folder = _plugins.Add(Fixtures.Compatible);
        var outside = Path.Combine(_plugins.BasePath, "dependency.dll");
        File.WriteAllText(outside, "not really an assembly");
        File.CreateSymbolicLink(Path.Combine(folder, "Dependency.dll"), outside);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Invalid, plugin.Status);
        Assert.Contains("'Dependency.dll' is a symbolic link resolving outside the plugin folder", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SymlinkLoopInFolder_InvalidAndOtherPluginsLoaded()
    {
        var folder = _plugins.Add(Fixtures.Compatible, "looping");
        File.CreateSymbolicLink(Path.Combine(folder, "a.dll"), Path.Combine(folder, "b.dll"));
        File.CreateSymbolicLink(Path.Combine(folder, "b.dll"), Path.Combine(folder, "a.dll"));
        _plugins.Add(Fixtures.Sample);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var looping = host.Registry.GetAll().Single(p => p.Folder == folder);
        Assert.Equal(PluginStatus.Invalid, looping.Status);
        Assert.Contains("symbolic link", looping.Reason, StringComparison.Ordinal);
        Assert.Equal(PluginStatus.Loaded, host.Plugin("sample").Status);
    }

    [Fact]
    public async Task Start_PluginFolderItselfIsSymlink_Loaded()
    {
        // Deploying by linking a plugin folder into the plugins root is legitimate: only escaping the folder is refused.
        var real = Path.Combine(_plugins.BasePath, "deployed");
        Directory.Move(_plugins.Add(Fixtures.Compatible), real);
        Directory.CreateSymbolicLink(Path.Combine(_plugins.PluginsPath, "linked"), real);
        await using var host = await PluginTestHost.StartAsync(_plugins);

        Assert.Equal(PluginStatus.Loaded, host.Plugin(Fixtures.CompatibleId).Status);
    }

    [Fact]
    public async Task Start_EntryAssemblyMissing_InvalidWithReason()
    {
        var folder = _plugins.Add(Fixtures.Compatible);
        ScratchPlugins.EditManifest(folder, m => m["entryAssembly"] = "Missing.dll");
        await using var host = await PluginTestHost.StartAsync(_plugins);

        var plugin = host.Plugin(Fixtures.CompatibleId);
        Assert.Equal(PluginStatus.Invalid, plugin.Status);
        Assert.Contains("'Missing.dll' was not found", plugin.Reason, StringComparison.Ordinal);
    }
}
