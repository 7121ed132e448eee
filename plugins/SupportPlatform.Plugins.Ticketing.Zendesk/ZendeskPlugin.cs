using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Ticketing.Zendesk;

/// <summary>Zendesk Support as a bridged help desk: the ticketing adapter and the webhook receiver.</summary>
public sealed class ZendeskPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        services.AddSingleton(ZendeskSettings.Read(context.Configuration));
        services.AddSingleton<ZendeskAdapter>();
        services.AddSingleton<ITicketingAdapter>(sp => sp.GetRequiredService<ZendeskAdapter>());
        services.AddSingleton<IWebhookHandler, ZendeskWebhook>();
    }
}

/// <summary>The plugin's settings (<c>Plugins:zendesk:*</c>), checked at load with messages that name the key.</summary>
internal sealed record ZendeskSettings(Uri Url, string Email, string ApiToken, string WebhookSecret, int PageSize, TimeSpan WebhookTolerance)
{
    public static ZendeskSettings Read(IConfiguration configuration)
    {
        var raw = configuration["url"];
        if (!Uri.TryCreate(raw?.EndsWith('/') == true ? raw : raw + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"Plugins:zendesk:url is '{raw}': set the Zendesk account's address, e.g. https://acme.zendesk.com.");
        }

        var email = configuration["email"];
        if (string.IsNullOrWhiteSpace(email) || !email.Contains('@', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Plugins:zendesk:email is '{email}': set the email address of the Zendesk agent the API token belongs to.");
        }

        var token = configuration["apiToken"];
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new InvalidOperationException("Plugins:zendesk:apiToken is not set: create an API token in Zendesk (Admin Center > Apps and integrations > Zendesk API) and set it.");
        }

        var secret = configuration["webhookSecret"];
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < 16)
        {
            throw new InvalidOperationException("Plugins:zendesk:webhookSecret must be set to the signing secret of the Zendesk webhook (at least 16 characters).");
        }

        var pageSize = 100;
        if (configuration["pageSize"] is { Length: > 0 } rawSize && (!int.TryParse(rawSize, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 1000))
        {
            throw new InvalidOperationException($"Plugins:zendesk:pageSize is '{rawSize}': set a whole number from 1 to 1000.");
        }

        var tolerance = TimeSpan.FromMinutes(5);
        if (configuration["webhookTolerance"] is { Length: > 0 } rawTolerance
            && (!TimeSpan.TryParse(rawTolerance, CultureInfo.InvariantCulture, out tolerance) || tolerance <= TimeSpan.Zero))
        {
            throw new InvalidOperationException($"Plugins:zendesk:webhookTolerance is '{rawTolerance}': set a positive time span such as 00:05:00.");
        }

        return new ZendeskSettings(url, email.Trim(), token.Trim(), secret, pageSize, tolerance);
    }
}
