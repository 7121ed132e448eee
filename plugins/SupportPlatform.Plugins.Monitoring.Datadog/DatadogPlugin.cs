using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Monitoring.Datadog;

/// <summary>Datadog as a monitoring source: webhook receiver and downtimes.</summary>
public sealed class DatadogPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        services.AddSingleton(DatadogSettings.Read(context.Configuration));
        services.AddSingleton<IWebhookHandler, DatadogWebhook>();
        services.AddSingleton<IMonitoringAcknowledger, DatadogDowntimes>();
    }
}

/// <summary>The plugin's settings (<c>Plugins:datadog:*</c>), checked at load with messages that name the key.</summary>
internal sealed record DatadogSettings(string Secret, string SecretHeader, Uri ApiUrl, string? ApiKey, string? ApplicationKey)
{
    public static DatadogSettings Read(IConfiguration configuration)
    {
        var secret = configuration["secret"];
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < 16)
        {
            throw new InvalidOperationException("Plugins:datadog:secret must be set to a secret of at least 16 characters (sent by the Datadog webhook as 'Authorization: Bearer <secret>').");
        }

        var url = configuration["apiUrl"] is { Length: > 0 } configured ? configured : "https://api.datadoghq.com";
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var api) || api.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"Plugins:datadog:apiUrl is '{url}': set the absolute http(s) address of your Datadog site's API, e.g. https://api.datadoghq.eu.");
        }

        return new DatadogSettings(secret, configuration["secretHeader"] is { Length: > 0 } h ? h : "X-SupportPlatform-Secret", api,
            configuration["apiKey"] is { Length: > 0 } k ? k : null, configuration["applicationKey"] is { Length: > 0 } a ? a : null);
    }
}
