using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Operations.Contracts;

namespace SupportPlatform.Operations;

/// <summary>System information, cluster diagnostics and the housekeeping schedule.</summary>
public sealed class OperationsModule : IModule
{
    /// <inheritdoc />
    public string Name => "Operations";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, HousekeepingScheduler>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/system").WithTags("System");

        group.MapGet("/info", async (IClusterClient client, ILocalSiloDetails silo, CancellationToken ct) =>
            {
                var management = client.GetGrain<IManagementGrain>(0);
                var hosts = await management.GetHosts(onlyActive: true);
                return TypedResults.Ok(new SystemInfo(
                    Product: "SupportPlatform",
                    Version: typeof(OperationsModule).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
                    Silo: silo.SiloAddress.ToString(),
                    ClusterMembers: hosts.Keys.Select(h => h.ToString()).Order(StringComparer.Ordinal).ToArray()));
            })
            .WithName("GetSystemInfo")
            .WithSummary("Product version, this node and the active members of the cluster.");

        group.MapGet("/activations/{key}", async Task<Results<Ok<ActivationDescription>, ValidationProblem>> (string key, IClusterClient client) =>
            {
                if (key.Length is 0 or > 100)
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                    {
                        ["key"] = ["The probe key must be 1 to 100 characters long."],
                    });
                }

                // "p-" keeps Orleans from parsing a hex-looking key as a number (ORLEANS.md, #9706).
                return TypedResults.Ok(await client.GetGrain<IActivationProbeGrain>("p-" + key).Describe());
            })
            .WithName("ProbeActivation")
            .WithSummary("Which activation, on which node, answers for a diagnostic grain key.");

        group.MapGet("/housekeeping", (IClusterClient client) =>
                client.GetGrain<IHousekeepingGrain>(IHousekeepingGrain.Key).GetStatus())
            .WithName("GetHousekeepingStatus")
            .WithSummary("The housekeeping schedule and the outcome of each task's last run.");

        group.MapPost("/housekeeping/run", (IClusterClient client) =>
                client.GetGrain<IHousekeepingGrain>(IHousekeepingGrain.Key).RunNow())
            .WithName("RunHousekeeping")
            .WithSummary("Runs every housekeeping task now.");
    }
}
