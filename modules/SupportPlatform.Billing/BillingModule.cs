using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Billing.Api;
using SupportPlatform.Billing.Documents;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Billing.Exports;
using SupportPlatform.Core;

namespace SupportPlatform.Billing;

/// <summary>Additional work billed by the hour: scope, estimates, approval, time, invoices, billing adapters.</summary>
public sealed class BillingModule : IModule
{
    /// <inheritdoc />
    public string Name => "Billing";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton(BillingOptions.Read(configuration));
        services.AddSingleton<EstimateService>();
        services.AddSingleton<InvoiceService>();
        services.AddSingleton<Periods.BillingProfiles>();
        services.AddSingleton<SupportPlatform.Billing.Contracts.IAdditionalWorkSummary>(sp => sp.GetRequiredService<InvoiceService>());
        services.AddSingleton<ApprovalLinks>();
        services.AddSingleton<BillingTemplates>();
        services.AddSingleton<SupportPlatform.Templates.Contracts.ITemplateKind, BillingTemplateKind>();
        services.AddSingleton<InvoiceRenderer>();
        services.AddSingleton<EstimateMailer>();
        services.AddSingleton<ExportDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<ExportDispatcher>());
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapBillingApi();
}
