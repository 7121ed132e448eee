using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SupportPlatform.Core;

/// <summary>
/// A first-party module (bounded context). The host discovers every implementation in the module
/// assemblies it ships with (Scrutor scan), then lets each one register its own services, silo
/// configuration and endpoints. A module needs a public parameterless constructor.
/// </summary>
public interface IModule
{
    /// <summary>Short, stable name used in logs and diagnostics (e.g. "Tickets").</summary>
    string Name { get; }

    /// <summary>Registers the module's services. Runs once, before the host is built.</summary>
    void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment);

    /// <summary>
    /// Adds the module's middleware to the request pipeline. Called after routing (the endpoint is known) and before
    /// the endpoints run, in module order; most modules add none.
    /// </summary>
    void ConfigurePipeline(IApplicationBuilder app)
    {
    }

    /// <summary>Maps the module's HTTP endpoints (one route group per module).</summary>
    void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
    }
}
