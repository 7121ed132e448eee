using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Web.Hosting;

namespace SupportPlatform.Web;

/// <summary>
/// The staff console (<c>/console</c>), the client portal (<c>/portal</c>) and the sign-in page (<c>/signin</c>):
/// static pages and ES modules embedded in this assembly, which talk to the REST API and the live hub like any client.
/// </summary>
public sealed class WebModule : IModule
{
    /// <inheritdoc />
    public string Name => "Web";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton(WebAssets.Load(typeof(WebModule).Assembly));
        // The sign-in page and the assets are public: served in front of routing and authorization, like static files.
        services.AddSingleton<IStartupFilter, PublicWebFilesStartup>();
        // The pages' own answer to "not signed in" and "not for you": redirects, not API problems.
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, WebPageAuthentication>(WebPageAuthentication.SchemeName, null);
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapWebPages();
}
