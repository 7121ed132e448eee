using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;

namespace SupportPlatform.Sla;

/// <summary>
/// Business calendars, SLA policies and SLA clocks. For now the module is pure domain arithmetic used by the Tickets
/// module through its contracts; it registers nothing (deadline scheduling comes with the scheduler grains).
/// </summary>
public sealed class SlaModule : IModule
{
    /// <inheritdoc />
    public string Name => "Sla";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
    }
}
