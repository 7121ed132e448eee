using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.Json.Nodes;

namespace SupportPlatform.Plugins.Hosting.Tests.Infrastructure;

/// <summary>The real plugin folders built by this test project (see its .csproj), and a scratch plugins root to arrange them in.</summary>
internal static class Fixtures
{
    public const string Compatible = "SupportPlatform.PluginFixtures.Compatible";
    public const string FutureMajorSdk = "SupportPlatform.PluginFixtures.FutureMajorSdk";
    public const string FutureMinorSdk = "SupportPlatform.PluginFixtures.FutureMinorSdk";
    public const string ThrowsOnConfigure = "SupportPlatform.PluginFixtures.ThrowsOnConfigure";
    public const string ThrowingHealthCheck = "SupportPlatform.PluginFixtures.ThrowingHealthCheck";
    public const string ThrowingBackgroundService = "SupportPlatform.PluginFixtures.ThrowingBackgroundService";
    public const string TwoEntryPoints = "SupportPlatform.PluginFixtures.TwoEntryPoints";
    public const string BinaryBreak = "SupportPlatform.PluginFixtures.BinaryBreak";
    public const string Webhook = "SupportPlatform.PluginFixtures.Webhook";
    public const string Sample = "SupportPlatform.Plugins.Sample";

    public const string CompatibleId = "fixture-compatible";

    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "plugin-fixtures");

    public static string FolderOf(string fixture)
    {
        var folder = Path.Combine(Root, fixture);
        Assert.True(File.Exists(Path.Combine(folder, "plugin.json")), $"The build did not produce the plugin folder {folder}.");
        return folder;
    }
}

/// <summary>A temporary plugins root (and data folder) with copies of fixture folders; deleted at dispose.</summary>
internal sealed class ScratchPlugins : IDisposable
{
    public ScratchPlugins()
    {
        BasePath = Path.Combine(Path.GetTempPath(), "supportplatform-plugin-tests", Guid.NewGuid().ToString("N"));
        PluginsPath = Path.Combine(BasePath, "plugins");
        DataPath = Path.Combine(BasePath, "plugin-data");
        Directory.CreateDirectory(PluginsPath);
    }

    public string BasePath { get; }

    public string PluginsPath { get; }

    public string DataPath { get; }

    /// <summary>Copies a built fixture into the plugins root, under <paramref name="folderName"/> (default: its project name).</summary>
    public string Add(string fixture, string? folderName = null)
    {
        var source = Fixtures.FolderOf(fixture);
        var target = Path.Combine(PluginsPath, folderName ?? fixture);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    /// <summary>Rewrites one field of a folder's plugin.json.</summary>
    public static void EditManifest(string folder, Action<JsonObject> edit)
    {
        var path = Path.Combine(folder, "plugin.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>
    /// Rewrites the version of the assembly's reference to SupportPlatform.Sdk in place (the AssemblyRef row of its
    /// metadata), to play a plugin compiled against another SDK without building one.
    /// </summary>
    public static void PatchSdkReference(string assemblyPath, ushort major, ushort minor)
    {
        var bytes = File.ReadAllBytes(assemblyPath);
        int offset;
        using (var pe = new PEReader(new MemoryStream(bytes)))
        {
            var metadata = pe.GetMetadataReader();
            var handle = metadata.AssemblyReferences.Single(h => metadata.GetString(metadata.GetAssemblyReference(h).Name) == "SupportPlatform.Sdk");
            var row = MetadataTokens.GetRowNumber(handle);
            offset = pe.PEHeaders.MetadataStartOffset
                + metadata.GetTableMetadataOffset(TableIndex.AssemblyRef)
                + ((row - 1) * metadata.GetTableRowSize(TableIndex.AssemblyRef));
        }

        // AssemblyRef row: MajorVersion (u16), MinorVersion (u16), BuildNumber, RevisionNumber, ...
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), major);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset + 2), minor);
        File.WriteAllBytes(assemblyPath, bytes);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(BasePath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a loaded plugin may still hold a file on some platforms.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
