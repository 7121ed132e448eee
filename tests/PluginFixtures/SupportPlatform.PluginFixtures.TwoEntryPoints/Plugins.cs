using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;

namespace SupportPlatform.PluginFixtures.TwoEntryPoints;

/// <summary>One of two entry points: the host cannot tell which one to use.</summary>
public sealed class FirstPlugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
    }
}

/// <summary>The other entry point.</summary>
public sealed class SecondPlugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
    }
}
