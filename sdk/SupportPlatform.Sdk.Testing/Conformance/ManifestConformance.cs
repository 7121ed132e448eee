using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Sdk.Testing.Conformance;

/// <summary>
/// Checks a built plugin folder as the host will at load: <c>plugin.json</c> is complete, its id is valid, its SDK
/// version loads in a host of this SDK, the entry assembly is in the folder with exactly one public <see cref="IPlugin"/>,
/// the folder does not ship the SDK, and the declared capabilities match what the plugin registers.
/// </summary>
public static partial class ManifestConformance
{
    private const string Capability = "manifest";

    /// <summary>Checks the plugin folder (the build or publish output holding <c>plugin.json</c>).</summary>
    /// <param name="pluginFolder">The folder.</param>
    /// <param name="harness">The plugin loaded in a harness, to compare declared and registered capabilities; or <see langword="null"/>.</param>
    /// <returns>The report.</returns>
    public static ConformanceReport Check(string pluginFolder, PluginHarness? harness = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginFolder);
        var report = new ConformanceReport();
        var path = Path.Combine(pluginFolder, PluginManifest.FileName);
        if (!File.Exists(path))
        {
            report.Record(Capability, "plugin.json exists", false, $"{path} is missing: the SupportPlatform.Sdk build targets write it for projects with EnableDynamicLoading=true.");
            return report;
        }

        PluginManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            report.Record(Capability, "plugin.json is valid JSON", false, ex.Message);
            return report;
        }

        if (manifest is null)
        {
            report.Record(Capability, "plugin.json is valid JSON", false, "it is null");
            return report;
        }

        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(manifest.Id)) { missing.Add("id"); }
        if (string.IsNullOrWhiteSpace(manifest.Name)) { missing.Add("name"); }
        if (string.IsNullOrWhiteSpace(manifest.Version)) { missing.Add("version"); }
        if (manifest.Capabilities is null) { missing.Add("capabilities"); }
        if (string.IsNullOrWhiteSpace(manifest.SdkVersion)) { missing.Add("sdkVersion"); }
        if (string.IsNullOrWhiteSpace(manifest.EntryAssembly)) { missing.Add("entryAssembly"); }
        report.Record(Capability, "plugin.json has every required field", missing.Count == 0, missing.Count == 0 ? "complete" : "missing: " + string.Join(", ", missing));
        if (missing.Count > 0)
        {
            return report;
        }

        report.Record(Capability, "the id is valid", IdPattern().IsMatch(manifest.Id), $"'{manifest.Id}': letters, digits, '.', '-', '_', starting with a letter or digit, at most 100.");
        if (harness is not null)
        {
            report.Record(Capability, "the id is the one the harness used", harness.PluginId == manifest.Id,
                $"manifest '{manifest.Id}', harness '{harness.PluginId}': configure the harness with the manifest's id so settings are read from the right section.");
        }

        var compatible = Version.TryParse(manifest.SdkVersion, out var sdk) && sdk.Major == SdkVersion.Major && sdk.Minor <= SdkVersion.Minor;
        report.Record(Capability, $"the SDK version loads in a host of SDK {SdkVersion.Text}", compatible,
            compatible ? manifest.SdkVersion : $"'{manifest.SdkVersion}': a host loads plugins of its major version and a minor version up to its own.");

        var entry = Path.GetFullPath(Path.Combine(pluginFolder, manifest.EntryAssembly));
        var inside = entry.StartsWith(Path.GetFullPath(pluginFolder), StringComparison.Ordinal) && !Path.IsPathRooted(manifest.EntryAssembly);
        report.Record(Capability, "the entry assembly is in the folder", inside && File.Exists(entry), $"{manifest.EntryAssembly}");
        report.Record(Capability, "the folder does not ship SupportPlatform.Sdk.dll", !File.Exists(Path.Combine(pluginFolder, "SupportPlatform.Sdk.dll")),
            "the host provides the SDK: reference the package with ExcludeAssets=\"runtime\", or the plugin's types will not match the host's.");
        if (inside && File.Exists(entry))
        {
            var entryTypes = PublicPluginTypes(entry);
            report.Record(Capability, "the entry assembly has exactly one public IPlugin class", entryTypes.Count == 1,
                entryTypes.Count == 1 ? entryTypes[0] : $"found {entryTypes.Count}: {string.Join(", ", entryTypes)}");
        }

        var known = typeof(PluginCapabilities).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);
        var unknown = manifest.Capabilities!.Where(c => !known.Contains(c)).ToList();
        report.Record(Capability, "every capability is a known name", unknown.Count == 0,
            unknown.Count == 0 ? string.Join(", ", manifest.Capabilities!) : $"unknown: {string.Join(", ", unknown)}; use the PluginCapabilities names.");

        if (harness is not null)
        {
            Compare(report, manifest, PluginCapabilities.Webhook, harness.Services.GetService(typeof(IEnumerable<IWebhookHandler>)) is IEnumerable<IWebhookHandler> h && h.Any(), nameof(IWebhookHandler));
            Compare(report, manifest, PluginCapabilities.HealthCheck, harness.HealthChecks.Count > 0, nameof(IPluginHealthCheck));
            Compare(report, manifest, PluginCapabilities.BackgroundService, harness.BackgroundServices.Count > 0, nameof(IPluginBackgroundService));
            Compare(report, manifest, PluginCapabilities.MonitoringAcknowledgement, harness.Acknowledgers.Count > 0, nameof(IMonitoringAcknowledger));
        }

        return report;
    }

    private static void Compare(ConformanceReport report, PluginManifest manifest, string capability, bool registered, string contract)
    {
        var declared = manifest.Capabilities.Contains(capability, StringComparer.Ordinal);
        report.Record(Capability, $"declares '{capability}' exactly when it registers an {contract}", declared == registered,
            declared == registered ? (declared ? "declared and registered" : "neither") : declared
                ? $"PluginCapabilities lists '{capability}' but ConfigureServices registers no {contract}."
                : $"ConfigureServices registers an {contract}; add '{capability}' to PluginCapabilities in the project.");
    }

    private static List<string> PublicPluginTypes(string assemblyPath)
    {
        // Read the metadata without loading the assembly (as the host's first checks do): public, non-abstract classes
        // that list SupportPlatform.Sdk.IPlugin among their interfaces.
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var result = new List<string>();
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            var attributes = type.Attributes;
            if ((attributes & TypeAttributes.VisibilityMask) != TypeAttributes.Public || (attributes & TypeAttributes.Abstract) != 0 || (attributes & TypeAttributes.Interface) != 0)
            {
                continue;
            }

            foreach (var implHandle in type.GetInterfaceImplementations())
            {
                var iface = md.GetInterfaceImplementation(implHandle).Interface;
                if (iface.Kind == HandleKind.TypeReference)
                {
                    var reference = md.GetTypeReference((TypeReferenceHandle)iface);
                    if (md.GetString(reference.Namespace) == "SupportPlatform.Sdk" && md.GetString(reference.Name) == nameof(IPlugin))
                    {
                        result.Add(md.GetString(type.Namespace) + "." + md.GetString(type.Name));
                    }
                }
            }
        }

        return result;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex IdPattern();
}
