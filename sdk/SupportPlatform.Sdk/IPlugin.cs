using Microsoft.Extensions.DependencyInjection;

namespace SupportPlatform.Sdk;

/// <summary>
/// The entry point of a plugin. Each plugin assembly has exactly one public, non-abstract class implementing it,
/// with a public parameterless constructor.
/// </summary>
/// <remarks>
/// The host calls <see cref="ConfigureServices"/> once at load, on a service collection that belongs to this plugin
/// alone, then builds the plugin's own service provider from it. The host resolves capability contracts
/// (<see cref="IPluginHealthCheck"/>, <see cref="IPluginBackgroundService"/>, and the adapter contracts of later SDK
/// versions) from that provider; a plugin offers a capability simply by registering its implementation here.
/// </remarks>
public interface IPlugin
{
    /// <summary>Registers the plugin's capability implementations and whatever they depend on.</summary>
    /// <param name="services">
    /// The plugin's own service collection. The host has already added what a plugin may use:
    /// <c>ILoggerFactory</c>, <c>ILogger&lt;T&gt;</c>, <see cref="TimeProvider"/>, the plugin's
    /// <c>IConfiguration</c> section, the <see cref="PluginContext"/> and, when the host has one, <c>IHttpClientFactory</c>.
    /// </param>
    /// <param name="context">Who the plugin is, where its files live and its configuration.</param>
    void ConfigureServices(IServiceCollection services, PluginContext context);
}
