using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;

namespace SupportPlatform.PluginFixtures.ThrowingBackgroundService;

/// <summary>Loads fine; its background service throws shortly after it starts.</summary>
public sealed class Plugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context) =>
        services.AddSingleton<IPluginBackgroundService, ThrowingService>();
}

public sealed class ThrowingService : IPluginBackgroundService
{
    public const string Message = "fixture: mailbox poller crashed";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        throw new InvalidOperationException(Message);
    }
}
