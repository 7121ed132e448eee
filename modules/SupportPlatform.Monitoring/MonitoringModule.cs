using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Core.Security;
using SupportPlatform.Monitoring.Api;
using SupportPlatform.Monitoring.Incidents;
using SupportPlatform.Monitoring.Intake;
using SupportPlatform.Monitoring.Live;
using SupportPlatform.Monitoring.Persistence;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Monitoring;

/// <summary>Monitoring: monitored systems (one grain each), alerts from source plugins, incidents with tickets, rules, maintenance, uptime.</summary>
public sealed class MonitoringModule : IModule
{
    /// <inheritdoc />
    public string Name => "Monitoring";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton<MonitoringStore>();
        services.AddSingleton<MonitoringQueries>();
        services.AddSingleton<MonitoringWriter>();
        services.AddSingleton<HostDirectory>();
        services.AddSingleton<IMonitoringAlertSink, AlertSink>();
        services.AddSingleton<ITicketObserver, IncidentTicketObserver>();

        // Live dashboards: SignalR (registered once whichever module asks first; the live queue sets its options).
        services.AddSignalR();
        services.AddSingleton<DashboardRelay>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DashboardRelay>());
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMonitoringApi();
        // Signed-in staff and client users; the hub puts a client user in their own account's group only.
        endpoints.MapHub<DashboardHub>(HubPath, connection => connection.ApplicationMaxBufferSize = 4 * 1024)
            .RequireAuthorization(PlatformPolicies.SignedIn);
    }

    /// <summary>Where the dashboards' SignalR hub is served.</summary>
    public const string HubPath = "/hubs/monitoring";
}
