using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Telephony.Twilio;

/// <summary>The Twilio adapter's entry point: one webhook handler for every voice callback.</summary>
public sealed class TwilioPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var authToken = context.Configuration["authToken"];
        if (string.IsNullOrWhiteSpace(authToken))
        {
            // Thrown at load: the host marks the plugin failed with this message and keeps running.
            throw new InvalidOperationException($"Plugins:{context.PluginId}:authToken is not set: copy the auth token from the Twilio console, or webhooks cannot be verified.");
        }

        services.AddSingleton(new TwilioSettings(authToken, string.IsNullOrWhiteSpace(context.Configuration["voice"]) ? null : context.Configuration["voice"]));
        services.AddSingleton<IWebhookHandler, TwilioVoiceHandler>();
    }
}

/// <summary>Settings from <c>Plugins:twilio</c>.</summary>
internal sealed record TwilioSettings(string AuthToken, string? Voice);
