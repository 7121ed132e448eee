using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.PluginFixtures.Dependency;
using SupportPlatform.Sdk;

namespace SupportPlatform.PluginFixtures.BinaryBreak;

/// <summary>Loads fine on its own; the test removes its dependency's assembly from the folder to break <see cref="Adapter"/>.</summary>
public sealed class Plugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
    }
}

/// <summary>Mentions a type of the dependency in its signature: the break only shows when this member is touched.</summary>
public sealed class Adapter
{
    public string Describe(DependencyType value) => value.Name;
}
