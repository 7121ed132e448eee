using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Tickets.Api;
using SupportPlatform.Tickets.Attachments;
using SupportPlatform.Tickets.Persistence;
using SupportPlatform.Tickets.Routing;

namespace SupportPlatform.Tickets;

/// <summary>Tickets: the ticket grain, its read model, the REST API, routing and escalation rules, agents and vendors.</summary>
public sealed class TicketsModule : IModule
{
    /// <inheritdoc />
    public string Name => "Tickets";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton<TicketStore>();
        services.AddSingleton<TicketWriter>();
        services.AddSingleton<TicketQueries>();
        services.AddSingleton<RoutingStore>();
        services.AddSingleton<SupportPlatform.Tickets.Contracts.IAgentDirectory>(sp => sp.GetRequiredService<RoutingStore>());
        services.AddSingleton<Router>();
        services.AddSingleton<SupportPlatform.Accounts.Contracts.IAccountObserver, SupportPlatform.Tickets.Grains.AccountContractObserver>();
        services.AddSingleton(AttachmentOptions.Read(configuration, environment));
        services.AddSingleton<AttachmentStore>();
        services.AddSingleton<SupportPlatform.Tickets.Contracts.ITicketAttachments, TicketAttachments>();
        services.AddSingleton<SupportPlatform.Tickets.Contracts.ITicketNumbers>(sp => sp.GetRequiredService<TicketStore>());
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapTicketsApi();
        endpoints.MapRoutingApi();
        endpoints.MapAttachmentsApi();
    }
}
