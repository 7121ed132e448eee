namespace SupportPlatform.Plugins.Hosting.Loading;

/// <summary>
/// Keeps everything a plugin's manifest points at inside the plugin's folder: no "..", no absolute paths, and no
/// symbolic link (of the file or of any folder on the way) resolving outside it.
/// </summary>
internal static class PluginPathGuard
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <returns><see langword="null"/> and the full path when the entry assembly is safe to load, else the reason.</returns>
    public static string? ResolveEntryAssembly(string pluginFolder, string entryAssembly, out string fullPath)
    {
        fullPath = string.Empty;
        if (Path.IsPathRooted(entryAssembly) || entryAssembly.Contains(':', StringComparison.Ordinal))
        {
            return $"entryAssembly '{entryAssembly}' is an absolute path; it must be a file name relative to the plugin folder.";
        }

        var folder = Path.GetFullPath(pluginFolder);
        var candidate = Path.GetFullPath(Path.Combine(folder, entryAssembly));
        if (!IsInside(folder, candidate))
        {
            return $"entryAssembly '{entryAssembly}' points outside the plugin folder; it must be a file inside it.";
        }

        if (!File.Exists(candidate))
        {
            return $"entryAssembly '{entryAssembly}' was not found in the plugin folder; publish the plugin project into this folder again.";
        }

        if (!IsInside(RealPath(folder), RealPath(candidate)))
        {
            return $"entryAssembly '{entryAssembly}' is a symbolic link (or lies under one) resolving outside the plugin folder; copy the file into the folder instead.";
        }

        fullPath = candidate;
        return null;
    }

    /// <returns><see langword="null"/> when no file in the folder resolves outside it, else the reason.</returns>
    public static string? FindEscapingFile(string pluginFolder)
    {
        var folder = Path.GetFullPath(pluginFolder);
        return Scan(RealPath(folder), folder, folder);
    }

    private static string? Scan(string realFolder, string folder, string directory)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            FileSystemInfo info = Directory.Exists(entry) ? new DirectoryInfo(entry) : new FileInfo(entry);
            if (info.LinkTarget is not null)
            {
                // A link is checked where it leads, and not descended into (no cycles).
                if (!IsInside(realFolder, RealPath(Path.GetFullPath(entry))))
                {
                    return $"'{Path.GetRelativePath(folder, entry)}' is a symbolic link resolving outside the plugin folder; a plugin folder must contain its own files.";
                }
            }
            else if (info is DirectoryInfo && Scan(realFolder, folder, entry) is { } reason)
            {
                return reason;
            }
        }

        return null;
    }

    private static bool IsInside(string folder, string path)
    {
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, PathComparison);
    }

    /// <summary>The path with every symbolic link on it resolved (what realpath(3) returns).</summary>
    internal static string RealPath(string fullPath, int depth = 0)
    {
        // Link cycles would otherwise recurse forever; 40 is the limit Linux applies too.
        if (depth > 40)
        {
            throw new IOException($"Too many levels of symbolic links resolving '{fullPath}'.");
        }

        var root = Path.GetPathRoot(fullPath) ?? string.Empty;
        var current = root;
        var parts = fullPath[root.Length..].Split(
            [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        foreach (var part in parts)
        {
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                var targetPath = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                next = RealPath(Path.GetFullPath(targetPath), depth + 1);
            }

            current = next;
        }

        return current;
    }
}
