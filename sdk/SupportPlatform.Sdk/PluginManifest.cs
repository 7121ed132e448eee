using System.Text.Json;
using System.Text.Json.Serialization;

namespace SupportPlatform.Sdk;

/// <summary>
/// The content of a plugin's <c>plugin.json</c>, written by the plugin's build (the SDK's MSBuild targets) and read
/// by the host before it loads anything from the plugin's folder.
/// </summary>
/// <param name="Id">
/// A stable id (letters, digits, <c>.</c>, <c>-</c>, <c>_</c>); the key of the plugin's configuration section
/// <c>Plugins:&lt;id&gt;</c>. MSBuild property <c>PluginId</c>, by default the assembly name.
/// </param>
/// <param name="Name">A display name. MSBuild property <c>PluginName</c>, by default the id.</param>
/// <param name="Version">The plugin's own version. MSBuild property <c>Version</c>.</param>
/// <param name="Capabilities">What the plugin offers, see <see cref="PluginCapabilities"/>. MSBuild property <c>PluginCapabilities</c>.</param>
/// <param name="SdkVersion">The <see cref="Sdk.SdkVersion"/> the plugin was built against, <c>"Major.Minor"</c>.</param>
/// <param name="EntryAssembly">The file name of the assembly holding the <see cref="IPlugin"/>, relative to the plugin folder.</param>
/// <param name="ConfigSchema">The JSON schema of the plugin's configuration (its <c>plugin.schema.json</c>), or <see langword="null"/>.</param>
public sealed record PluginManifest(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("capabilities")] IReadOnlyList<string> Capabilities,
    [property: JsonPropertyName("sdkVersion")] string SdkVersion,
    [property: JsonPropertyName("entryAssembly")] string EntryAssembly,
    [property: JsonPropertyName("configSchema")] JsonElement? ConfigSchema)
{
    /// <summary>The file name of the manifest in a plugin's folder.</summary>
    public const string FileName = "plugin.json";
}
