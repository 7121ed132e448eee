using System.Text.Json;
using System.Text.Json.Serialization;

namespace SupportPlatform.Plugins.Hosting;

/// <summary>
/// Every plugin the host found in its plugins folder, with its status, and the way modules reach the capabilities
/// of the loaded ones. A singleton, filled when the host starts.
/// </summary>
public interface IPluginRegistry
{
    /// <summary>Every plugin found, loaded or not, in folder order.</summary>
    IReadOnlyList<PluginInfo> GetAll();

    /// <summary>The plugin with this id (case-insensitive), or <see langword="null"/>.</summary>
    PluginInfo? Find(string id);

    /// <summary>
    /// The implementations of a capability contract (for example <c>IPluginHealthCheck</c>) registered by every
    /// plugin whose status is <see cref="PluginStatus.Loaded"/>. Call plugins through <see cref="TryInvokeAsync{TCapability}"/>.
    /// </summary>
    IReadOnlyList<PluginCapability<T>> GetCapabilities<T>()
        where T : class;

    /// <summary>
    /// Calls a plugin. An exception from the plugin marks that plugin <see cref="PluginStatus.Failed"/> (with the
    /// reason), is logged, and is not rethrown; only the caller's own cancellation propagates.
    /// </summary>
    /// <returns>The outcome; when the plugin is no longer loaded it is not called and the outcome says so.</returns>
    Task<PluginCallResult<TResult>> TryInvokeAsync<TCapability, TResult>(
        PluginCapability<TCapability> capability,
        Func<TCapability, CancellationToken, Task<TResult>> call,
        CancellationToken cancellationToken)
        where TCapability : class;

    /// <summary>As <see cref="TryInvokeAsync{TCapability, TResult}"/>, for calls without a result.</summary>
    /// <returns>The outcome; when the plugin is no longer loaded it is not called and the outcome says so.</returns>
    Task<PluginCallResult<bool>> TryInvokeAsync<TCapability>(
        PluginCapability<TCapability> capability,
        Func<TCapability, CancellationToken, Task> call,
        CancellationToken cancellationToken)
        where TCapability : class;

    /// <summary>
    /// Marks a loaded plugin <see cref="PluginStatus.Failed"/>: its capabilities are no longer offered and its
    /// background services are cancelled. For a module that finds a plugin misbehaving without throwing.
    /// </summary>
    void MarkFailed(string pluginId, string reason);
}

/// <summary>A plugin as the host sees it.</summary>
/// <param name="Id">The id from its manifest, or the folder name when the manifest could not be read.</param>
/// <param name="Name">The display name from its manifest.</param>
/// <param name="Version">The plugin's version from its manifest.</param>
/// <param name="SdkVersion">The SDK version the plugin says it was built for.</param>
/// <param name="Capabilities">The capabilities its manifest lists.</param>
/// <param name="Folder">The full path of its folder.</param>
/// <param name="Status">Whether it runs, and if not, why not.</param>
/// <param name="Reason">Why it is not <see cref="PluginStatus.Loaded"/>, in words an administrator can act on.</param>
/// <param name="LastErrorAt">When it was last refused or failed.</param>
/// <param name="ConfigSchema">The JSON schema of its configuration section <c>Plugins:&lt;id&gt;</c>.</param>
public sealed record PluginInfo(
    string Id,
    string? Name,
    string? Version,
    string? SdkVersion,
    IReadOnlyList<string> Capabilities,
    string Folder,
    PluginStatus Status,
    string? Reason,
    DateTimeOffset? LastErrorAt,
    JsonElement? ConfigSchema);

/// <summary>Where a plugin stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PluginStatus>))]
public enum PluginStatus
{
    /// <summary>Loaded; its capabilities are in use.</summary>
    Loaded,

    /// <summary>It threw while loading or running; it stays off until the host restarts.</summary>
    Failed,

    /// <summary>Built for an SDK version this host does not provide, or binary incompatible.</summary>
    Incompatible,

    /// <summary>Its folder or manifest is wrong (missing, malformed, unsafe path, duplicate id).</summary>
    Invalid,

    /// <summary>Turned off by configuration (<c>Plugins:&lt;id&gt;:Enabled=false</c>).</summary>
    Disabled,
}

/// <summary>One plugin's implementation of a capability contract.</summary>
/// <typeparam name="T">The capability contract.</typeparam>
/// <param name="PluginId">The plugin that provides it.</param>
/// <param name="Instance">The implementation, created by the plugin's own service provider.</param>
public sealed record PluginCapability<T>(string PluginId, T Instance)
    where T : class;

/// <summary>The outcome of <see cref="IPluginRegistry.TryInvokeAsync{TCapability, TResult}"/>.</summary>
/// <typeparam name="T">The call's result type.</typeparam>
/// <param name="Succeeded">Whether the plugin was called and returned normally.</param>
/// <param name="Value">The call's result when it succeeded.</param>
/// <param name="Error">Why it did not succeed.</param>
public readonly record struct PluginCallResult<T>(bool Succeeded, T? Value, string? Error);
