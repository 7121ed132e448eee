using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Ticketing.Freshdesk;

/// <summary>Freshdesk as a bridged help desk: the ticketing adapter and the webhook receiver.</summary>
public sealed class FreshdeskPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        services.AddSingleton(FreshdeskSettings.Read(context.Configuration));
        services.AddSingleton<FreshdeskAdapter>();
        services.AddSingleton<ITicketingAdapter>(sp => sp.GetRequiredService<FreshdeskAdapter>());
        services.AddSingleton<IWebhookHandler, FreshdeskWebhook>();
    }
}

/// <summary>The plugin's settings (<c>Plugins:freshdesk:*</c>), checked at load with messages that name the key.</summary>
internal sealed record FreshdeskSettings(Uri Url, string ApiKey, string WebhookSecret, string WebhookHeader, int PageSize)
{
    public static FreshdeskSettings Read(IConfiguration configuration)
    {
        var raw = configuration["url"];
        if (!Uri.TryCreate(raw?.EndsWith('/') == true ? raw : raw + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"Plugins:freshdesk:url is '{raw}': set the helpdesk's address, e.g. https://acme.freshdesk.com.");
        }

        var key = configuration["apiKey"];
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new InvalidOperationException("Plugins:freshdesk:apiKey is not set: copy an administrator's API key from Freshdesk (Profile settings > View API key).");
        }

        var secret = configuration["webhookSecret"];
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < 16)
        {
            throw new InvalidOperationException("Plugins:freshdesk:webhookSecret must be set to a shared secret of at least 16 characters, sent by the automation rule's webhook.");
        }

        var header = configuration["webhookHeader"] is { Length: > 0 } h ? h.Trim() : "X-Webhook-Secret";
        if (header.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            throw new InvalidOperationException($"Plugins:freshdesk:webhookHeader is '{header}': set a header name of letters, digits and '-'.");
        }

        var pageSize = 100;
        if (configuration["pageSize"] is { Length: > 0 } rawSize && (!int.TryParse(rawSize, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 100))
        {
            throw new InvalidOperationException($"Plugins:freshdesk:pageSize is '{rawSize}': set a whole number from 1 to 100.");
        }

        return new FreshdeskSettings(url, key.Trim(), secret, header, pageSize);
    }
}
