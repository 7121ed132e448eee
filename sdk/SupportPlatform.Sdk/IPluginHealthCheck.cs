namespace SupportPlatform.Sdk;

/// <summary>
/// Capability: tells the host whether the plugin can do its work (for example, whether the mail server it polls
/// answers). The host calls it for its health endpoint, under a timeout.
/// </summary>
/// <remarks>
/// Return <see cref="PluginHealthResult.Unhealthy"/> for a problem outside the plugin; throwing is treated as a
/// defect of the plugin itself, which the host then marks as failed.
/// </remarks>
public interface IPluginHealthCheck
{
    /// <summary>Checks the plugin's health.</summary>
    /// <param name="cancellationToken">Cancelled when the host's timeout for health checks elapses.</param>
    /// <returns>The plugin's health, with a short description for administrators.</returns>
    Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>The health states a plugin can report.</summary>
public enum PluginHealthStatus
{
    /// <summary>The plugin cannot do its work.</summary>
    Unhealthy = 0,

    /// <summary>The plugin works, but not fully (for example, slow or retrying).</summary>
    Degraded = 1,

    /// <summary>The plugin works.</summary>
    Healthy = 2,
}

/// <summary>The result of <see cref="IPluginHealthCheck.CheckAsync"/>.</summary>
/// <param name="Status">The plugin's health.</param>
/// <param name="Description">A short sentence for administrators, or <see langword="null"/>.</param>
public sealed record PluginHealthResult(PluginHealthStatus Status, string? Description = null)
{
    /// <summary>The plugin works.</summary>
    /// <param name="description">A short sentence for administrators.</param>
    /// <returns>A healthy result.</returns>
    public static PluginHealthResult Healthy(string? description = null) => new(PluginHealthStatus.Healthy, description);

    /// <summary>The plugin works, but not fully.</summary>
    /// <param name="description">What is wrong, for administrators.</param>
    /// <returns>A degraded result.</returns>
    public static PluginHealthResult Degraded(string description) => new(PluginHealthStatus.Degraded, description);

    /// <summary>The plugin cannot do its work.</summary>
    /// <param name="description">What is wrong and, if known, what to do about it.</param>
    /// <returns>An unhealthy result.</returns>
    public static PluginHealthResult Unhealthy(string description) => new(PluginHealthStatus.Unhealthy, description);
}
