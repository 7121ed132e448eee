using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace SupportPlatform.Plugins.Hosting;

/// <summary>
/// Where the host finds its plugins and how it treats them (section <c>SupportPlatform:Plugins</c>): <c>Path</c> (default
/// <c>&lt;DataPath&gt;/plugins</c>, one subfolder per plugin), <c>MaxWebhookBodyBytes</c> (default 1048576; larger webhook
/// bodies get 413) and <c>CallTimeout</c> (default 00:00:30 per call into a plugin); webhook URLs are built from
/// <c>SupportPlatform:PublicUrl</c>.
/// </summary>
public sealed class PluginHostOptions
{
    /// <summary>The configuration section of the host's plugin settings (keys <c>Path</c>, <c>MaxWebhookBodyBytes</c>, <c>CallTimeout</c>).</summary>
    public const string Section = "SupportPlatform:Plugins";

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

    /// <summary>
    /// Fills what the host left unset from configuration (<see cref="PathConfigurationKey"/>, <see cref="PublicUrlConfigurationKey"/>,
    /// <see cref="MaxWebhookBodyBytesConfigurationKey"/>, <see cref="CallTimeoutConfigurationKey"/>); a bad value stops the start
    /// with a message naming the key.
    /// </summary>
    internal static void ApplyConfiguration(PluginHostOptions options, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(options.PluginsPath))
        {
            options.PluginsPath = configuration[PluginHostOptions.PathConfigurationKey] is { Length: > 0 } configured
                ? configured
                : options.DataFolder is { Length: > 0 } data ? Path.Combine(data, "plugins") : null;
        }

        if (options.PublicUrl is null && configuration[PluginHostOptions.PublicUrlConfigurationKey] is { Length: > 0 } publicUrl)
        {
            options.PublicUrl = Uri.TryCreate(publicUrl, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                ? parsed
                : throw new OptionsValidationException(PluginHostOptions.PublicUrlConfigurationKey, typeof(PluginHostOptions),
                    [$"{PluginHostOptions.PublicUrlConfigurationKey} is '{publicUrl}': set an absolute http(s) address such as https://support.msp.example."]);
        }

        if (configuration[PluginHostOptions.MaxWebhookBodyBytesConfigurationKey] is { Length: > 0 } maxBody)
        {
            options.MaxWebhookBodyBytes = int.TryParse(maxBody, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes > 0
                ? bytes
                : throw new OptionsValidationException(PluginHostOptions.MaxWebhookBodyBytesConfigurationKey, typeof(PluginHostOptions),
                    [$"{PluginHostOptions.MaxWebhookBodyBytesConfigurationKey} is '{maxBody}': set a whole number of bytes, at least 1."]);
        }

        if (configuration[PluginHostOptions.CallTimeoutConfigurationKey] is { Length: > 0 } callTimeout)
        {
            options.CallTimeout = TimeSpan.TryParse(callTimeout, System.Globalization.CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero
                ? timeout
                : throw new OptionsValidationException(PluginHostOptions.CallTimeoutConfigurationKey, typeof(PluginHostOptions),
                    [$"{PluginHostOptions.CallTimeoutConfigurationKey} is '{callTimeout}': set a positive time span such as 00:00:30."]);
        }

        if (string.IsNullOrWhiteSpace(options.PluginDataPath) && !string.IsNullOrWhiteSpace(options.PluginsPath))
        {
            options.PluginDataPath = options.DataFolder is { Length: > 0 } data
                ? Path.Combine(data, "plugin-data")
                : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.PluginsPath)) ?? options.PluginsPath, "plugin-data");
        }
    }
}
