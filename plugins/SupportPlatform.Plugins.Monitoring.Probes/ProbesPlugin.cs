using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Probes;

/// <summary>Built-in probes: one scheduler for every probe under <c>Plugins:monitoring-probes:probes</c>.</summary>
public sealed class ProbesPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(context);
        var probes = ProbeDefinition.Read(context.PluginId, context.Configuration);
        Directory.CreateDirectory(context.DataFolder);
        var health = new ProbeHealth(probes.Count);
        services.AddSingleton<IPluginHealthCheck>(health);
        services.AddSingleton<IPluginBackgroundService>(provider =>
        {
            var time = provider.GetService<TimeProvider>() ?? TimeProvider.System;
            // One client for every HTTP probe; no cookies, pooled connections renewed so DNS changes are seen.
            var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), UseCookies = false, AllowAutoRedirect = true })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
            http.DefaultRequestHeaders.UserAgent.ParseAdd("SupportPlatform-Probe/1.0");
            return new ProbeScheduler(probes, new Prober(http, time), provider.GetRequiredService<IMonitoringAlertSink>(), health,
                Path.Combine(context.DataFolder, "reported.json"), time, provider.GetRequiredService<ILogger<ProbeScheduler>>());
        });
    }
}
