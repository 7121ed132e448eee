using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;

namespace SupportPlatform.PluginFixtures.ThrowsOnConfigure;

/// <summary>Throws while registering its services.</summary>
public sealed class Plugin : IPlugin
{
    public const string Message = "fixture: the mail server setting is missing";

    public void ConfigureServices(IServiceCollection services, PluginContext context) =>
        throw new InvalidOperationException(Message);
}
