using System.IO.Compression;
using SupportPlatform.Plugins.Hosting.Loading;
using SupportPlatform.Sdk;

namespace SupportPlatform.Ctl;

/// <summary>
/// The plugins folder: one subfolder per plugin, named after its id. Install checks the folder or zip with the host's
/// own rules (<see cref="PluginFolderCheck"/>) in a staging folder and moves it in only when the host would load it.
/// The host loads plugins at start: restart it afterwards.
/// </summary>
internal sealed class Plugins(CtlSettings settings, CtlConsole console)
{
    public IReadOnlyList<(string Folder, PluginFolderReport Report)> List() =>
        Directory.Exists(settings.PluginsPath)
            ? [.. Directory.GetDirectories(settings.PluginsPath).Order(StringComparer.Ordinal).Select(f => (f, PluginFolderCheck.Inspect(f)))]
            : [];

    public PluginManifest Install(string source, bool replace)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(settings.PluginsPath))!;
        Directory.CreateDirectory(settings.PluginsPath);
        // Staged beside the plugins folder (same file system, so the final move is atomic) and never inside it: the host
        // treats every subfolder of the plugins folder as a plugin.
        var staging = Path.Combine(parent, $".supportctl-plugin-{Guid.NewGuid():N}");
        try
        {
            if (File.Exists(source) && source.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                console.Progress($"plugins: extracting {source}...");
                try
                {
                    ZipFile.ExtractToDirectory(source, staging); // refuses entries that point outside the folder
                }
                catch (InvalidDataException ex)
                {
                    throw new CtlException($"'{source}' is not a readable zip file: {ex.Message}");
                }
                catch (IOException ex)
                {
                    throw new CtlException($"'{source}' could not be extracted: {ex.Message}");
                }
            }
            else if (Directory.Exists(source))
            {
                CopyFolder(source, staging);
            }
            else
            {
                throw new CtlException($"'{source}' is neither a plugin folder nor a .zip file.");
            }

            // A zip of the publish folder itself, or of a folder holding it.
            var root = staging;
            var children = Directory.GetDirectories(staging);
            if (!File.Exists(Path.Combine(staging, PluginManifest.FileName)) && children.Length == 1 && Directory.GetFiles(staging).Length == 0)
            {
                root = children[0];
            }

            var report = PluginFolderCheck.Inspect(root);
            if (report.Manifest is null || report.Problem is not null)
            {
                throw new CtlException($"The host would refuse this plugin ({report.Status}): {report.Problem}");
            }

            var manifest = report.Manifest;
            var existing = List().Where(p => string.Equals(p.Report.Manifest?.Id ?? Path.GetFileName(p.Folder), manifest.Id, StringComparison.OrdinalIgnoreCase)).ToList();
            if (existing.Count > 0 && !replace)
            {
                var version = existing[0].Report.Manifest?.Version ?? "unknown";
                throw new CtlException($"Plugin '{manifest.Id}' {version} is installed already in {existing[0].Folder}; pass --replace to install {manifest.Version} over it.");
            }

            var target = Path.Combine(settings.PluginsPath, manifest.Id);
            var retired = new List<string>();
            foreach (var (folder, _) in existing)
            {
                var aside = Path.Combine(parent, $".supportctl-retired-{Guid.NewGuid():N}");
                Directory.Move(folder, aside);
                retired.Add(aside);
            }

            Directory.Move(root, target);
            foreach (var aside in retired)
            {
                Directory.Delete(aside, recursive: true);
            }

            return manifest;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    public string Remove(string id)
    {
        var match = List().FirstOrDefault(p => string.Equals(p.Report.Manifest?.Id, id, StringComparison.OrdinalIgnoreCase))
            is { Folder: not null } found ? found.Folder
            : Directory.Exists(Path.Combine(settings.PluginsPath, id)) ? Path.Combine(settings.PluginsPath, id) : null;
        if (match is null)
        {
            throw new CtlException($"No plugin '{id}' in {settings.PluginsPath} (see 'supportctl plugins list').");
        }

        Directory.Delete(match, recursive: true);
        return match;
    }

    private static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
