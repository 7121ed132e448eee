using Microsoft.Extensions.Configuration;

namespace SupportPlatform.Sdk;

/// <summary>What the host tells a plugin about itself when it loads it.</summary>
public sealed class PluginContext
{
    /// <summary>Creates the context the host hands to <see cref="IPlugin.ConfigureServices"/>.</summary>
    /// <param name="pluginId">The plugin's id, from its manifest.</param>
    /// <param name="pluginFolder">The full path of the folder the plugin was loaded from.</param>
    /// <param name="dataFolder">The full path of a folder the plugin may write to; it exists.</param>
    /// <param name="configuration">The host configuration section <c>Plugins:&lt;id&gt;</c>.</param>
    public PluginContext(string pluginId, string pluginFolder, string dataFolder, IConfiguration configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginId);
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataFolder);
        ArgumentNullException.ThrowIfNull(configuration);
        PluginId = pluginId;
        PluginFolder = pluginFolder;
        DataFolder = dataFolder;
        Configuration = configuration;
    }

    /// <summary>The plugin's id, from its manifest (also the key of its configuration section).</summary>
    public string PluginId { get; }

    /// <summary>The full path of the folder the plugin was loaded from. Treat it as read-only.</summary>
    public string PluginFolder { get; }

    /// <summary>The full path of a folder, owned by this plugin, where it may keep state (caches, cursors, files).</summary>
    public string DataFolder { get; }

    /// <summary>The host configuration section <c>Plugins:&lt;id&gt;</c>, described by the plugin's <c>plugin.schema.json</c>.</summary>
    public IConfiguration Configuration { get; }
}
