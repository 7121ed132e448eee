using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Bridge;

/// <summary>Help desk bridge: import from Zendesk, Freshdesk and other ticketing adapters, and two-way sync of bridged tickets.</summary>
public sealed class BridgeModule : IModule
{
    /// <inheritdoc />
    public string Name => "Bridge";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton(BridgeOptions.Read(configuration));
        services.AddSingleton<BridgeStore>();
        services.AddSingleton<BridgeSync>();
        services.AddSingleton<BridgeWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<BridgeWorker>());
        services.AddSingleton<ITicketingSink, BridgeSink>();
        services.AddSingleton<ITicketCommitParticipant, BridgeCommitParticipant>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapBridgeApi();
}
