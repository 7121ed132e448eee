using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Loading;

/// <summary>What <see cref="PluginFolderCheck.Inspect"/> found in a plugin folder.</summary>
/// <param name="Manifest">The manifest, when it could be read and is valid.</param>
/// <param name="Problem">Why the host would refuse the folder; <see langword="null"/> when it would try to load it.</param>
/// <param name="Status">Invalid or Incompatible when there is a problem; Loaded when the folder passes every check.</param>
public sealed record PluginFolderReport(PluginManifest? Manifest, string? Problem, PluginStatus Status);

/// <summary>
/// The checks the host makes on a plugin folder before running any of its code (manifest, SDK version, paths, the entry
/// assembly's SDK reference). One set of rules: the host's loader and <c>supportctl plugins install</c> both use it.
/// </summary>
public static partial class PluginFolderCheck
{
    /// <summary>The SDK this host provides: the version of the SupportPlatform.Sdk assembly actually loaded.</summary>
    public static Version HostSdkVersion { get; } = typeof(IPlugin).Assembly.GetName().Version!;

    /// <summary>Every check the host makes before loading <paramref name="folder"/>, in the host's order.</summary>
    public static PluginFolderReport Inspect(string folder)
    {
        var (manifest, problem) = ReadManifest(folder);
        if (manifest is null)
        {
            return new PluginFolderReport(null, problem, PluginStatus.Invalid);
        }

        var (status, fileProblem, _) = CheckFiles(folder, manifest);
        return new PluginFolderReport(manifest, fileProblem, fileProblem is null ? PluginStatus.Loaded : status);
    }

    /// <summary>Reads and validates <c>plugin.json</c>; the manifest, or null and what is wrong.</summary>
    internal static (PluginManifest? Manifest, string? Problem) ReadManifest(string folder)
    {
        var manifestPath = Path.Combine(folder, PluginManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            return (null, $"{PluginManifest.FileName} is missing: a plugin folder is the output of 'dotnet publish' of a plugin project.");
        }

        PluginManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllText(manifestPath));
        }
        catch (JsonException ex)
        {
            return (null, $"{PluginManifest.FileName} is not valid: {ex.Message} Rebuild the plugin to regenerate it.");
        }

        var manifestProblem = manifest is null ? "it is empty" : ValidateManifest(manifest);
        return manifest is null || manifestProblem is not null
            ? (null, $"{PluginManifest.FileName} is not valid: {manifestProblem}. Rebuild the plugin to regenerate it.")
            : (manifest, null);
    }

    /// <summary>SDK compatibility, paths and the entry assembly's SDK reference of a folder with a valid manifest.</summary>
    internal static (PluginStatus Status, string? Problem, string EntryPath) CheckFiles(string folder, PluginManifest manifest)
    {
        var manifestSdk = ParseSdkVersion(manifest.SdkVersion)!;
        if (CheckCompatible(manifestSdk) is { } tooOldOrNew)
        {
            return (PluginStatus.Incompatible,
                $"Plugin '{manifest.Id}' was built for SDK {Format(manifestSdk)}; this host provides SDK {Format(HostSdkVersion)}. {tooOldOrNew}", string.Empty);
        }

        var pathProblem = PluginPathGuard.ResolveEntryAssembly(folder, manifest.EntryAssembly, out var entryPath)
            ?? PluginPathGuard.FindEscapingFile(folder);
        if (pathProblem is not null)
        {
            return (PluginStatus.Invalid, pathProblem, entryPath);
        }

        Version? referencedSdk;
        try
        {
            referencedSdk = SdkReferenceReader.Read(entryPath);
        }
        catch (BadImageFormatException)
        {
            return (PluginStatus.Invalid, $"entryAssembly '{manifest.EntryAssembly}' is not a .NET assembly.", entryPath);
        }

        if (referencedSdk is null)
        {
            return (PluginStatus.Invalid,
                $"entryAssembly '{manifest.EntryAssembly}' does not reference {SdkReferenceReader.SdkAssemblyName}, so it cannot contain a plugin.", entryPath);
        }

        if (CheckCompatible(referencedSdk) is { } referenceProblem)
        {
            return (PluginStatus.Incompatible,
                $"Plugin '{manifest.Id}' was compiled against SDK {Format(referencedSdk)} ({manifest.EntryAssembly} references {SdkReferenceReader.SdkAssemblyName} {referencedSdk}); this host provides SDK {Format(HostSdkVersion)}. {referenceProblem}", entryPath);
        }

        if (referencedSdk.Major != manifestSdk.Major || referencedSdk.Minor != manifestSdk.Minor)
        {
            return (PluginStatus.Invalid,
                $"{PluginManifest.FileName} says sdkVersion {manifest.SdkVersion} but {manifest.EntryAssembly} was compiled against SDK {Format(referencedSdk)}; rebuild the plugin so both agree.", entryPath);
        }

        return (PluginStatus.Loaded, null, entryPath);
    }

    private static string? ValidateManifest(PluginManifest manifest)
    {
        if (string.IsNullOrWhiteSpace(manifest.Id))
        {
            return "\"id\" is missing";
        }

        if (!PluginIdPattern().IsMatch(manifest.Id))
        {
            return $"\"id\" '{manifest.Id}' may only use letters, digits, '.', '-' and '_', starting with a letter or digit";
        }

        if (string.IsNullOrWhiteSpace(manifest.Name))
        {
            return "\"name\" is missing";
        }

        if (string.IsNullOrWhiteSpace(manifest.Version))
        {
            return "\"version\" is missing";
        }

        if (manifest.Capabilities is null || manifest.Capabilities.Any(string.IsNullOrWhiteSpace))
        {
            return "\"capabilities\" is missing (use [] for none)";
        }

        if (string.IsNullOrWhiteSpace(manifest.SdkVersion))
        {
            return "\"sdkVersion\" is missing";
        }

        if (ParseSdkVersion(manifest.SdkVersion) is null)
        {
            return $"\"sdkVersion\" '{manifest.SdkVersion}' is not of the form Major.Minor";
        }

        if (string.IsNullOrWhiteSpace(manifest.EntryAssembly))
        {
            return "\"entryAssembly\" is missing";
        }

        return null;
    }

    private static Version? ParseSdkVersion(string text)
    {
        var match = SdkVersionPattern().Match(text);
        return match.Success
            ? new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    /// <returns><see langword="null"/> when a plugin built for <paramref name="pluginSdk"/> runs on this host, else what to do.</returns>
    private static string? CheckCompatible(Version pluginSdk)
    {
        if (pluginSdk.Major != HostSdkVersion.Major)
        {
            return pluginSdk.Major > HostSdkVersion.Major
                ? "Upgrade the host, or install a version of the plugin built for this SDK."
                : $"Install a version of the plugin built for SDK {HostSdkVersion.Major}.x.";
        }

        return pluginSdk.Minor > HostSdkVersion.Minor
            ? $"Upgrade the host, or install a version of the plugin built for SDK {HostSdkVersion.Major}.{HostSdkVersion.Minor} or older."
            : null;
    }

    private static string Format(Version version) => $"{version.Major}.{version.Minor}";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex PluginIdPattern();

    [GeneratedRegex(@"^(\d{1,5})\.(\d{1,5})$")]
    private static partial Regex SdkVersionPattern();
}
