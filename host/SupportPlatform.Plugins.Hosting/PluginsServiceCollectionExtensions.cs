using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SupportPlatform.Plugins.Hosting.Loading;
using SupportPlatform.Plugins.Hosting.Runtime;

namespace SupportPlatform.Plugins.Hosting;

/// <summary>Registers the plugin host.</summary>
public static class PluginsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the plugin loader, the <see cref="IPluginRegistry"/> singleton, and a hosted service that loads the
    /// plugins when the host starts, runs their background services, and unloads them when it stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets <see cref="PluginHostOptions"/>; at least the data folder or the plugins folder.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddSupportPlatformPlugins(this IServiceCollection services, Action<PluginHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var optionsBuilder = services.AddOptions<PluginHostOptions>();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        optionsBuilder
            .PostConfigure<IConfiguration>(PluginHostOptions.ApplyConfiguration)
            .Validate(
                static options => !string.IsNullOrWhiteSpace(options.PluginsPath),
                $"The plugins folder is not set: set {PluginHostOptions.PathConfigurationKey} (a folder with one subfolder per plugin) or the host's data folder.")
            .Validate(
                static options => options.PublicUrl is null || options.PublicUrl.Scheme is "http" or "https",
                $"{PluginHostOptions.PublicUrlConfigurationKey} must be an absolute http(s) address such as https://support.msp.example.")
            .Validate(
                static options => options.MaxWebhookBodyBytes > 0,
                "PluginHostOptions.MaxWebhookBodyBytes must be positive.")
            .Validate(
                static options => options.CallTimeout > TimeSpan.Zero,
                "PluginHostOptions.CallTimeout must be positive.")
            .Validate(
                static options => options.HealthCheckTimeout > TimeSpan.Zero,
                "PluginHostOptions.HealthCheckTimeout must be positive.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPluginAssemblyLoader, McMasterPluginAssemblyLoader>();
        services.TryAddSingleton<PluginCatalogLoader>();
        services.TryAddSingleton<PluginRegistry>();
        services.TryAddSingleton<HookAddresses>();
        services.TryAddSingleton<IPluginRegistry>(static sp => sp.GetRequiredService<PluginRegistry>());
        services.AddHostedService<PluginHostedService>();
        return services;
    }
}
