using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Monitoring.Alertmanager;

/// <summary>Prometheus Alertmanager as a monitoring source: webhook receiver and silences.</summary>
public sealed class AlertmanagerPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = AlertmanagerSettings.Read(context.Configuration);
        services.AddSingleton(settings);
        services.AddSingleton<IWebhookHandler, AlertmanagerWebhook>();
        services.AddSingleton<IMonitoringAcknowledger, AlertmanagerSilencer>();
    }
}
