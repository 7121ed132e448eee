using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Observability;

/// <summary>
/// The operational metrics an MSP alerts on (meter <c>SupportPlatform.Operations</c>): tickets opened per channel, SLA
/// warnings and breaches, the open queue per status, and how long stored inbound mail waits to be processed. Counters
/// count on the node that commits the change; the gauges read the database, so every node reports the same figure.
/// </summary>
public sealed class ObservabilityModule : IModule
{
    public string Name => "Observability";

    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton<OperationalMetrics>();
        services.AddSingleton<ITicketObserver>(sp => sp.GetRequiredService<OperationalMetrics>());
        services.AddHostedService(sp => sp.GetRequiredService<OperationalMetrics>());
    }
}
