using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Notifications;
using SupportPlatform.Sdk.Webhooks;
using Twilio.Clients;
using Twilio.Http;
using Twilio.Types;

namespace SupportPlatform.Plugins.Telephony.Twilio;

/// <summary>
/// The Twilio adapter's entry point: one webhook handler for every voice callback, SMS reply and notification
/// callback; with <c>accountSid</c> and <c>fromNumber</c> set, also the <c>sms</c> and <c>voice</c> notification channels.
/// </summary>
public sealed partial class TwilioPlugin : IPlugin
{
    /// <summary>Twilio's REST API.</summary>
    public const string DefaultApiBaseUrl = "https://api.twilio.com";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = $"Plugins:{context.PluginId}";
        var authToken = context.Configuration["authToken"];
        if (string.IsNullOrWhiteSpace(authToken))
        {
            // Thrown at load: the host marks the plugin failed with this message and keeps running.
            throw new InvalidOperationException($"{key}:authToken is not set: copy the auth token from the Twilio console, or webhooks cannot be verified.");
        }

        var settings = new TwilioSettings(authToken, string.IsNullOrWhiteSpace(context.Configuration["voice"]) ? null : context.Configuration["voice"]);
        services.AddSingleton(settings);
        services.AddSingleton<TwilioNotificationHooks>();
        services.AddSingleton<IWebhookHandler, TwilioVoiceHandler>();

        var accountSid = context.Configuration["accountSid"] is { Length: > 0 } sid ? sid.Trim() : null;
        var fromNumber = context.Configuration["fromNumber"] is { Length: > 0 } from ? from.Trim() : null;
        var baseText = context.Configuration["apiBaseUrl"] is { Length: > 0 } b ? b.Trim() : DefaultApiBaseUrl;
        if (accountSid is null && fromNumber is null)
        {
            // Voice webhooks only: no notification channels (the host says "no plugin provides the 'sms' channel").
            return;
        }

        if (accountSid is null || !AccountSid().IsMatch(accountSid))
        {
            throw new InvalidOperationException($"{key}:accountSid is '{accountSid}': set the account SID from the Twilio console (AC followed by 32 hex digits) to send SMS and voice notifications, or remove {key}:fromNumber.");
        }

        if (fromNumber is null || !E164().IsMatch(fromNumber))
        {
            throw new InvalidOperationException($"{key}:fromNumber is '{fromNumber}': set the Twilio number notifications are sent from, in E.164 form like +442079460100.");
        }

        if (!Uri.TryCreate(baseText, UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp) || baseUrl.Query.Length > 0)
        {
            throw new InvalidOperationException($"{key}:apiBaseUrl is '{baseText}': set an http(s) address without a query, such as {DefaultApiBaseUrl} (the default).");
        }

        // The SDK's own client, over a System.Net.Http client whose handler sends to the configured base address.
        var http = new System.Net.Http.HttpClient(new BaseAddressHandler(baseUrl)) { Timeout = TimeSpan.FromSeconds(30) };
        var client = new TwilioRestClient(accountSid, authToken, accountSid, httpClient: new SystemNetHttpClient(http));
        services.AddSingleton(new TwilioRest(client, new PhoneNumber(fromNumber), baseUrl));
        foreach (var channel in new[] { NotificationChannels.Sms, NotificationChannels.Voice })
        {
            services.AddSingleton<INotificationChannel>(sp => new TwilioNotificationChannel(
                channel, sp.GetRequiredService<TwilioRest>(), settings, sp.GetRequiredService<IWebhookUrls>(), sp.GetRequiredService<ILogger<TwilioNotificationChannel>>()));
        }
    }

    [GeneratedRegex("^AC[0-9a-fA-F]{32}$")]
    private static partial Regex AccountSid();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();
}

/// <summary>Settings from <c>Plugins:twilio</c>.</summary>
internal sealed record TwilioSettings(string AuthToken, string? Voice);
