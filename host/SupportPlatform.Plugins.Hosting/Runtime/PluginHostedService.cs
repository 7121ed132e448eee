using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Plugins.Hosting.Loading;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Runtime;

/// <summary>Loads the plugins when the host starts, runs their background services, and unloads them when it stops.</summary>
internal sealed partial class PluginHostedService(
    PluginCatalogLoader catalogLoader,
    PluginRegistry registry,
    IOptions<PluginHostOptions> options,
    ILogger<PluginHostedService> logger) : IHostedService
{
    private readonly List<Task> _backgroundWork = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var resolved = options.Value;
        registry.Initialize(catalogLoader.LoadAll(resolved.PluginsPath!, resolved.PluginDataPath!));

        foreach (var capability in registry.GetCapabilities<IPluginBackgroundService>())
        {
            var runtime = registry.Entries.First(e => e.Info.Id == capability.PluginId && e.Runtime is not null).Runtime!;

            // Task.Run: a plugin that blocks before its first await must not hold up the host's start.
            _backgroundWork.Add(Task.Run(() => RunAsync(capability, runtime.Stopping), CancellationToken.None));
        }

        return Task.CompletedTask;
    }

    private async Task RunAsync(PluginCapability<IPluginBackgroundService> capability, CancellationToken stopping)
    {
        try
        {
            // A background service runs until its token is cancelled: no call timeout.
            var outcome = await registry.TryInvokeAsync(
                capability,
                static async (service, token) =>
                {
                    await service.RunAsync(token).ConfigureAwait(false);
                    return true;
                },
                Timeout.InfiniteTimeSpan,
                stopping).ConfigureAwait(false);
            if (outcome.Succeeded)
            {
                LogBackgroundServiceEnded(logger, capability.PluginId, capability.Instance.GetType().Name);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host is stopping or the plugin was turned off.
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var runtimes = registry.Entries.Select(e => e.Runtime).OfType<LoadedPlugin>().ToList();
        foreach (var runtime in runtimes)
        {
            runtime.Stop();
        }

        try
        {
            await Task.WhenAll(_backgroundWork).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogStopTimedOut(logger);
        }

        foreach (var runtime in runtimes)
        {
            try
            {
                await runtime.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // A plugin's Dispose threw while the host stops: log it and unload the others.
                LogDisposeFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Background service {Service} of plugin '{PluginId}' ended.")]
    private static partial void LogBackgroundServiceEnded(ILogger logger, string pluginId, string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Some plugin background services did not stop in time; the host stops without waiting for them.")]
    private static partial void LogStopTimedOut(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A plugin threw while being disposed at host stop.")]
    private static partial void LogDisposeFailed(ILogger logger, Exception exception);
}
