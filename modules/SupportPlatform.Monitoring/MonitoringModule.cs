using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Monitoring.Api;
using SupportPlatform.Monitoring.Incidents;
using SupportPlatform.Monitoring.Intake;
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
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapMonitoringApi();
}
