namespace SupportPlatform.Plugins.Hosting;

/// <summary>Where the host finds its plugins and how it treats them.</summary>
public sealed class PluginHostOptions
{
    /// <summary>The configuration key read for <see cref="PluginsPath"/> when the host does not set it.</summary>
    public const string PathConfigurationKey = "SupportPlatform:Plugins:Path";

    /// <summary>
    /// The folder holding one subfolder per plugin. When not set: configuration <see cref="PathConfigurationKey"/>,
    /// else <c>&lt;DataFolder&gt;/plugins</c>.
    /// </summary>
    public string? PluginsPath { get; set; }

    /// <summary>The host's data folder; plugins get their data folders under <c>&lt;DataFolder&gt;/plugin-data/&lt;id&gt;</c>.</summary>
    public string? DataFolder { get; set; }

    /// <summary>
    /// The folder holding one data folder per plugin. When not set: <c>&lt;DataFolder&gt;/plugin-data</c>, else a
    /// <c>plugin-data</c> folder beside <see cref="PluginsPath"/> (never inside a plugin's folder, which a redeploy replaces).
    /// </summary>
    public string? PluginDataPath { get; set; }

    /// <summary>The configuration key read for <see cref="PublicUrl"/>.</summary>
    public const string PublicUrlConfigurationKey = "SupportPlatform:PublicUrl";

    /// <summary>
    /// The address the outside world reaches this host at (<c>https://support.msp.example</c>), from configuration
    /// <see cref="PublicUrlConfigurationKey"/>. Webhook URLs handed to plugins and the URL a webhook's signature is
    /// checked against are built from it, never from a request's Host header. When not set, the address the host
    /// listens on is used, which is right only when nothing (no reverse proxy) sits in front of it.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>The configuration key read for <see cref="MaxWebhookBodyBytes"/>.</summary>
    public const string MaxWebhookBodyBytesConfigurationKey = "SupportPlatform:Plugins:MaxWebhookBodyBytes";

    /// <summary>The largest webhook request body the host reads, in bytes (default 1 MiB); larger requests get 413.</summary>
    public int MaxWebhookBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The configuration key read for <see cref="CallTimeout"/>.</summary>
    public const string CallTimeoutConfigurationKey = "SupportPlatform:Plugins:CallTimeout";

    /// <summary>
    /// How long one call into a plugin (a webhook request, a call through <c>IPluginRegistry.TryInvokeAsync</c>) may take
    /// (default 30 s). Then its cancellation token is cancelled and the caller gets an answer at once, even when the
    /// plugin ignores the token: a webhook 503 (the sender retries), a failed call result.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one plugin's health check may take before it is reported as timed out.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
