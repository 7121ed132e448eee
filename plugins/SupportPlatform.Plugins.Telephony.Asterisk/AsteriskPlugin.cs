using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Telephony;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Telephony.Asterisk;

/// <summary>
/// The Asterisk adapter's entry point: the Stasis application (a background service holding the ARI event
/// WebSocket), its health, and the webhook that serves fetched voicemail recordings through signed links.
/// </summary>
public sealed class AsteriskPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(context);
        var settings = AsteriskSettings.Read(context.PluginId, context.Configuration);
        var recordings = new RecordingStore(Path.Combine(context.DataFolder, "recordings"));
        services.AddSingleton(settings);
        services.AddSingleton(recordings);
        services.AddSingleton(new CallJournal(Path.Combine(context.DataFolder, "calls")));
        services.AddSingleton<AriHealth>();
        services.AddSingleton(_ => new AriClient(settings));
        services.AddSingleton(provider => new StasisApplication(
            settings,
            provider.GetRequiredService<AriClient>(),
            provider.GetRequiredService<CallJournal>(),
            recordings,
            provider.GetRequiredService<ITelephonyService>(),
            provider.GetRequiredService<IWebhookUrls>(),
            provider.GetRequiredService<AriHealth>(),
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetRequiredService<ILogger<StasisApplication>>()));
        services.AddSingleton<IPluginBackgroundService>(provider => provider.GetRequiredService<StasisApplication>());
        services.AddSingleton<IPluginHealthCheck>(provider => provider.GetRequiredService<AriHealth>());
        services.AddSingleton<IWebhookHandler, RecordingHandler>();
    }
}

/// <summary>Settings from <c>Plugins:asterisk</c>, checked at load so a wrong value fails the plugin with a reason.</summary>
internal sealed record AsteriskSettings(
    Uri BaseUrl,
    string Username,
    string Password,
    string Application,
    string EndpointPattern,
    string GreetingSound,
    TimeSpan MaxReconnectDelay)
{
    /// <summary>The provider name calls are reported under.</summary>
    public const string Provider = "asterisk";

    public static AsteriskSettings Read(string pluginId, IConfiguration configuration)
    {
        string Required(string key, string what) =>
            string.IsNullOrWhiteSpace(configuration[key])
                ? throw new InvalidOperationException($"Plugins:{pluginId}:{key} is not set: {what}.")
                : configuration[key]!.Trim();

        var url = Required("url", "give the ARI address, e.g. http://pbx.example:8088/ari");
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"Plugins:{pluginId}:url '{url}' is not an http(s) address such as http://pbx.example:8088/ari.");
        }

        var endpoint = configuration["endpoint"] is { Length: > 0 } e ? e.Trim() : "PJSIP/{number}";
        if (!endpoint.Contains("{number}", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Plugins:{pluginId}:endpoint '{endpoint}' has no {{number}}: it says how a staff number becomes an endpoint, e.g. PJSIP/{{number}}@trunk.");
        }

        var application = configuration["application"] is { Length: > 0 } a ? a.Trim() : "supportplatform";
        if (application.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw new InvalidOperationException($"Plugins:{pluginId}:application '{application}' may only hold letters, digits, '-', '_' and '.' (it is the Stasis application name).");
        }

        var maxDelay = 30;
        if (configuration["maxReconnectDelaySeconds"] is { Length: > 0 } d && (!int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out maxDelay) || maxDelay is < 1 or > 300))
        {
            throw new InvalidOperationException($"Plugins:{pluginId}:maxReconnectDelaySeconds '{d}' must be a whole number of seconds from 1 to 300.");
        }

        return new AsteriskSettings(
            baseUrl,
            Required("username", "give the ARI user from Asterisk's ari.conf"),
            Required("password", "give that ARI user's password"),
            application,
            endpoint,
            configuration["greetingSound"] is { Length: > 0 } g ? g.Trim() : "sound:vm-intro",
            TimeSpan.FromSeconds(maxDelay));
    }

    /// <summary>The event stream's address: ws(s)://host/ari/events?app=NAME.</summary>
    public Uri EventsUrl => new UriBuilder(new Uri(BaseUrl, "events"))
    {
        Scheme = BaseUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        Query = "app=" + Uri.EscapeDataString(Application) + "&subscribeAll=false",
    }.Uri;

    public string EndpointFor(string number) => EndpointPattern.Replace("{number}", number, StringComparison.Ordinal);
}
