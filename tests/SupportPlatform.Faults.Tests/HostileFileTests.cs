using System.IO.Compression;
using SupportPlatform.Ctl;
using SupportPlatform.Testing;

namespace SupportPlatform.Faults.Tests;

/// <summary>Path traversal in a plugin zip ("zip slip"): `supportctl plugins install` refuses it and writes nothing outside.</summary>
public sealed class HostileFileTests
{
    [Theory]
    [InlineData("../../escaped.txt")]
    [InlineData("plugin/../../escaped.txt")]
    [InlineData("/tmp/sp-faults-absolute-escaped.txt")]
    public async Task PluginZip_WithAnEntryOutsideItsFolder_IsRefused_NothingWritten(string entryName)
    {
        using var root = new TempDirectory("sp-faults-zip-");
        var data = Path.Combine(root.Path, "data");
        var zip = Path.Combine(root.Path, "evil.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            await using (var manifest = new StreamWriter(archive.CreateEntry("plugin.json").Open()))
            {
                await manifest.WriteAsync("""{"id":"evil","name":"Evil","version":"1.0.0","capabilities":[],"sdkVersion":"1.0","entryAssembly":"Evil.dll"}""");
            }

            await using var escaped = new StreamWriter(archive.CreateEntry(entryName).Open());
            await escaped.WriteAsync("should never be written");
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CtlConsole(output, error, new Dictionary<string, string>(), url => new HttpClient { BaseAddress = url }, useSystemConfig: false);
        var code = await CtlApp.RunAsync(["plugins", "install", zip, "--data-path", data], console);

        Assert.Equal(1, code);
        Assert.Contains("evil.zip", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(root.Path, "escaped.txt", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(root.Path)!, "escaped.txt")));
        Assert.False(File.Exists("/tmp/sp-faults-absolute-escaped.txt"));
        Assert.False(Directory.Exists(Path.Combine(data, "plugins", "evil")));
    }
}
