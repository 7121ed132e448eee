using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;

namespace SupportPlatform.PluginFixtures.ThrowingHealthCheck;

/// <summary>Loads fine; its health check throws when called.</summary>
public sealed class Plugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context) =>
        services.AddSingleton<IPluginHealthCheck, ThrowingCheck>();
}

public sealed class ThrowingCheck : IPluginHealthCheck
{
    public const string Message = "fixture: health check exploded";

    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken) =>
        throw new InvalidOperationException(Message);
}
