using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;

namespace SupportPlatform.PluginFixtures.Compatible;

/// <summary>A well-behaved plugin: a health check and a background service, using what the host injects.</summary>
public sealed class CompatiblePlugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        services.AddSingleton<IPluginHealthCheck, CompatibleHealthCheck>();
        services.AddSingleton<IPluginBackgroundService, MarkerBackgroundService>();
    }
}

/// <summary>Healthy; its description carries Plugins:fixture-compatible:message, proving the configuration section arrives (and Plugins:fixture-compatible:hang=true makes it never answer).</summary>
public sealed class CompatibleHealthCheck(IConfiguration configuration, TimeProvider timeProvider, ILogger<CompatibleHealthCheck> logger) : IPluginHealthCheck
{
    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken)
    {
        logger.LogDebug("Checked at {Now}", timeProvider.GetUtcNow());
        if (string.Equals(configuration["hang"], "true", StringComparison.OrdinalIgnoreCase))
        {
            // Plays a check stuck on an unresponsive server that also ignores its cancellation token.
            return new TaskCompletionSource<PluginHealthResult>().Task;
        }

        return Task.FromResult(PluginHealthResult.Healthy(configuration["message"] ?? "compatible fixture is fine"));
    }
}

/// <summary>Writes started.txt into its data folder, then runs until cancelled (and writes stopped.txt).</summary>
public sealed class MarkerBackgroundService(PluginContext context) : IPluginBackgroundService
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(Path.Combine(context.DataFolder, "started.txt"), "started", cancellationToken);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await File.WriteAllTextAsync(Path.Combine(context.DataFolder, "stopped.txt"), "stopped", CancellationToken.None);
        }
    }
}
