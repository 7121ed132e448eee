using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Reports.Api;
using SupportPlatform.Reports.Data;
using SupportPlatform.Reports.Delivery;
using SupportPlatform.Reports.Documents;
using SupportPlatform.Reports.Domain;

namespace SupportPlatform.Reports;

/// <summary>Weekly and monthly account reports, their schedules and delivery, and the staff report.</summary>
public sealed class ReportsModule : IModule
{
    /// <inheritdoc />
    public string Name => "Reports";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton(ReportsOptions.Read(configuration));
        services.AddSingleton<ReportStore>();
        services.AddSingleton<ReportBuilder>();
        services.AddSingleton<ReportTemplates>();
        services.AddSingleton<SupportPlatform.Templates.Contracts.ITemplateKind, ReportTemplateKind>();
        services.AddSingleton<ReportDocuments>();
        services.AddSingleton<ReportSender>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapReportsApi();
}
