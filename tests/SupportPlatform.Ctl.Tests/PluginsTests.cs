using System.IO.Compression;
using SupportPlatform.Testing;

namespace SupportPlatform.Ctl.Tests;

public sealed class PluginsTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "plugin-fixtures", name);

    [Fact]
    public async Task InstallListRemove_FolderAndZip_CheckedLikeTheHost()
    {
        using var data = new TempDirectory("sp-ctl-plugins-");
        string[] at = ["--data-path", data.Path];
        Assert.Contains("No plugins", await Ctl.OkAsync(null, ["plugins", "list", .. at]), StringComparison.Ordinal);

        var installed = await Ctl.OkAsync(null, ["plugins", "install", Fixture("SupportPlatform.Plugins.Sample"), .. at]);
        Assert.Contains("Installed plugin 'sample'", installed, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(data.Path, "plugins", "sample", "plugin.json")));
        Assert.Single(Directory.GetDirectories(data.Path)); // nothing staged is left beside the plugins folder

        // The same plugin again needs --replace; from a zip of a folder holding the plugin.
        var zip = Path.Combine(data.Path, "..", $"{Path.GetFileName(data.Path)}-sample.zip");
        ZipFile.CreateFromDirectory(Fixture("SupportPlatform.Plugins.Sample"), zip, CompressionLevel.Fastest, includeBaseDirectory: true);
        try
        {
            var twice = await Ctl.RunAsync(null, ["plugins", "install", zip, .. at]);
            Assert.Equal(1, twice.Code);
            Assert.Contains("--replace", twice.Error, StringComparison.Ordinal);
            await Ctl.OkAsync(null, ["plugins", "install", zip, "--replace", .. at]);
        }
        finally
        {
            File.Delete(zip);
        }

        // A plugin the host would refuse is refused with the host's reason, and nothing is installed.
        var future = await Ctl.RunAsync(null, ["plugins", "install", Fixture("SupportPlatform.PluginFixtures.FutureMajorSdk"), .. at]);
        Assert.Equal(1, future.Code);
        Assert.Contains("Incompatible", future.Error, StringComparison.Ordinal);
        Assert.Contains("this host provides SDK", future.Error, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(data.Path, "plugins")));

        var list = await Ctl.OkAsync(null, ["plugins", "list", .. at]);
        Assert.Matches(@"sample\s+\S+\s+sdk", list);

        await Ctl.OkAsync(null, ["plugins", "remove", "sample", .. at]);
        Assert.Empty(Directory.GetDirectories(Path.Combine(data.Path, "plugins")));
        var missing = await Ctl.RunAsync(null, ["plugins", "remove", "sample", .. at]);
        Assert.Contains("No plugin 'sample'", missing.Error, StringComparison.Ordinal);
    }
}
