using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;

namespace SupportPlatform.Scheduling;

/// <summary>Durable deadlines: <c>IDeadlineScheduler</c>, the shard grains and their start-up, metrics.</summary>
public sealed class SchedulingModule : IModule
{
    /// <inheritdoc />
    public string Name => "Scheduling";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment) =>
        services.AddScheduling(configuration);
}
