using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SupportPlatform.Plugins.Hosting.Runtime;

namespace SupportPlatform.Plugins.Hosting;

/// <summary>Adds the plugins' health to the host's health checks.</summary>
public static class PluginsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that is Healthy when every enabled plugin is loaded and its <c>IPluginHealthCheck</c>s report
    /// healthy, and <paramref name="failureStatus"/> (Degraded by default) otherwise. Its data lists every plugin with
    /// its status and reason. Each plugin check runs under <c>PluginHostOptions.HealthCheckTimeout</c>; one that
    /// throws marks its plugin Failed.
    /// </summary>
    /// <param name="builder">The host's health checks.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status reported when a plugin is not well.</param>
    /// <param name="tags">Tags for filtering (for example "ready").</param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddPluginsHealthCheck(
        this IHealthChecksBuilder builder,
        string name = "plugins",
        HealthStatus failureStatus = HealthStatus.Degraded,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<PluginsHealthCheck>(name, failureStatus, tags ?? []);
    }
}
