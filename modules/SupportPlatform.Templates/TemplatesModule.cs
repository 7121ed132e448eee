using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Templates.Api;
using SupportPlatform.Templates.Contracts;
using SupportPlatform.Templates.Rendering;
using SupportPlatform.Templates.Store;

namespace SupportPlatform.Templates;

/// <summary>
/// Template overrides: the Scriban templates other modules ship (mail, reports, billing; each registers an
/// <see cref="ITemplateKind"/>) may be overridden from the admin page, stored in the database with every version, and
/// used by every node of a cluster at once; data-folder files keep working below saved overrides.
/// </summary>
public sealed class TemplatesModule : IModule
{
    /// <inheritdoc />
    public string Name => "Templates";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton<TemplateStore>();
        services.AddSingleton<TemplateResolver>();
        services.AddSingleton<ITemplateSource>(sp => sp.GetRequiredService<TemplateResolver>());
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapTemplatesApi();
}
