using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;

namespace SupportPlatform.PluginFixtures.FutureMajorSdk;

/// <summary>Would load fine; only its manifest's sdkVersion keeps it out.</summary>
public sealed class Plugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
    }
}
