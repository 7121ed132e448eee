using System.Text.Json;
using SupportPlatform.Plugins.Hosting.Tests.Infrastructure;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Tests;

/// <summary>What the plugin build (the SDK's MSBuild targets) produces.</summary>
public sealed class PluginBuildTests
{
    [Fact]
    public void SampleManifest_GeneratedByBuild_HasEveryFieldAndTheSdkVersion()
    {
        var folder = Fixtures.FolderOf(Fixtures.Sample);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "plugin.json")));
        var root = json.RootElement;

        Assert.Equal("sample", root.GetProperty("id").GetString());
        Assert.Equal("Sample plugin", root.GetProperty("name").GetString());
        Assert.Equal("0.1.0", root.GetProperty("version").GetString());
        Assert.Equal([PluginCapabilities.HealthCheck, PluginCapabilities.BackgroundService], root.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(SdkVersion.Text, root.GetProperty("sdkVersion").GetString());
        Assert.Equal("SupportPlatform.Plugins.Sample.dll", root.GetProperty("entryAssembly").GetString());
        Assert.True(File.Exists(Path.Combine(folder, root.GetProperty("entryAssembly").GetString()!)));
        Assert.Equal("integer", root.GetProperty("configSchema").GetProperty("properties").GetProperty("heartbeatSeconds").GetProperty("type").GetString());

        var manifest = JsonSerializer.Deserialize<PluginManifest>(json)!;
        Assert.Equal("sample", manifest.Id);
        Assert.NotNull(manifest.ConfigSchema);
    }

    [Fact]
    public void FixtureManifest_NoSchemaFile_ConfigSchemaNull()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.FolderOf(Fixtures.Compatible), "plugin.json")));

        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("configSchema").ValueKind);
        Assert.Equal(SdkVersion.Text, json.RootElement.GetProperty("sdkVersion").GetString());
    }

    [Fact]
    public void FixtureManifest_QuotesBackslashesAndPercentSigns_WrittenAsValidJsonUnchanged()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.FolderOf(Fixtures.TwoEntryPoints), "plugin.json")));
        var root = json.RootElement;

        Assert.Equal("Fixture: \"Two\" entry\\points", root.GetProperty("name").GetString());
        var schema = root.GetProperty("configSchema");
        Assert.Equal("50% of a;b and %41 and $(NotAProperty)", schema.GetProperty("description").GetString());
        Assert.Equal("^\\d+\\\\x$", schema.GetProperty("properties").GetProperty("code").GetProperty("pattern").GetString());
    }

    [Fact]
    public void PluginFolders_Built_ContainNoSdkAssembly()
    {
        var folders = Directory.GetDirectories(Fixtures.Root);
        Assert.True(folders.Length >= 8, $"Expected the sample and every fixture plugin under {Fixtures.Root}.");
        foreach (var folder in folders)
        {
            Assert.True(File.Exists(Path.Combine(folder, "plugin.json")), $"{folder} has no plugin.json.");
            Assert.False(
                File.Exists(Path.Combine(folder, "SupportPlatform.Sdk.dll")),
                $"{folder} ships its own SupportPlatform.Sdk.dll: reference the SDK with Private=\"false\" ExcludeAssets=\"runtime\".");
        }
    }

    [Fact]
    public void SdkAssembly_Version_IsMajorMinorOfSdkVersion()
    {
        Assert.Equal(new Version(SdkVersion.Major, SdkVersion.Minor, 0, 0), typeof(IPlugin).Assembly.GetName().Version);
        Assert.Equal($"{SdkVersion.Major}.{SdkVersion.Minor}", SdkVersion.Text);
    }

    [Fact]
    public void PluginManifest_Serialized_UsesCamelCaseNames()
    {
        var manifest = new PluginManifest("x", "X", "1.0.0", ["health-check"], "1.0", "X.dll", null);

        var json = JsonSerializer.Serialize(manifest);

        Assert.Equal(
            "{\"id\":\"x\",\"name\":\"X\",\"version\":\"1.0.0\",\"capabilities\":[\"health-check\"],\"sdkVersion\":\"1.0\",\"entryAssembly\":\"X.dll\",\"configSchema\":null}",
            json);
    }
}
