using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Syslog;

/// <summary>Security log watch: a syslog receiver whose rules raise security alerts on the sending system.</summary>
public sealed class SyslogPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(context);
        var settings = SyslogSettings.Read(context.PluginId, context.Configuration);
        Directory.CreateDirectory(context.DataFolder);
        var statistics = new SyslogStatistics();
        services.AddSingleton(statistics);
        services.AddSingleton(provider => new AlertOutbox(Path.Combine(context.DataFolder, "pending-alerts.json"), provider.GetRequiredService<ILogger<SyslogPlugin>>()));
        services.AddSingleton<IPluginHealthCheck>(provider => new SyslogHealth(settings, statistics, provider.GetRequiredService<AlertOutbox>()));
        services.AddSingleton<IPluginBackgroundService>(provider =>
        {
            var outbox = provider.GetRequiredService<AlertOutbox>();
            return new SyslogReceiver(settings, new SecurityWatch(settings.Rules, outbox), outbox, statistics,
                provider.GetRequiredService<IMonitoringAlertSink>(), provider.GetService<TimeProvider>() ?? TimeProvider.System,
                provider.GetRequiredService<ILogger<SyslogReceiver>>());
        });
    }
}

/// <summary>The admin pages' view: where it listens, what it received, and whether alerts wait for the platform.</summary>
internal sealed class SyslogHealth(SyslogSettings settings, SyslogStatistics statistics, AlertOutbox outbox) : IPluginHealthCheck
{
    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken)
    {
        var listening = $"udp {statistics.UdpEndpoint?.ToString() ?? (settings.UdpPort == 0 ? "off" : "not yet")}, tcp {statistics.TcpEndpoint?.ToString() ?? (settings.TcpPort == 0 ? "off" : "not yet")}";
        var counts = $"{Interlocked.Read(ref statistics.Received)} message(s) received, {Interlocked.Read(ref statistics.Matched)} matched a rule, "
            + $"{Interlocked.Read(ref statistics.Refused)} refused (sender not allowed or too many connections), {Interlocked.Read(ref statistics.Truncated)} cut to {settings.MaxMessageBytes} bytes";
        if ((settings.UdpPort != 0 && statistics.UdpEndpoint is null) || (settings.TcpPort != 0 && statistics.TcpEndpoint is null))
        {
            return Task.FromResult(PluginHealthResult.Degraded($"Not listening yet ({listening})."));
        }

        return Task.FromResult(outbox.LastError is { } error
            ? PluginHealthResult.Degraded($"{outbox.Count} alert(s) wait for the platform: {error}. Listening on {listening}; {counts}.")
            : PluginHealthResult.Healthy($"Listening on {listening}; {counts}."));
    }
}
