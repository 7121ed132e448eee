using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Plugins.Hosting.Loading;

namespace SupportPlatform.Plugins.Hosting.Runtime;

/// <summary>What the host holds for a plugin that loaded: its load context and its own service provider.</summary>
internal sealed class LoadedPlugin(IPluginAssemblyContext assemblyContext, ServiceProvider services) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    public IServiceProvider Services => services;

    /// <summary>Cancelled when the plugin fails or the host stops: ends its background services.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public void Stop()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed at host stop.
        }
        catch (AggregateException)
        {
            // A callback registered by the plugin threw; the plugin is being stopped anyway.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        try
        {
            await services.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _stopping.Dispose();
            assemblyContext.Dispose();
        }
    }
}
