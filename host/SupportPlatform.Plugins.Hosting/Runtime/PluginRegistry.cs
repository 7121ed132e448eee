using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SupportPlatform.Plugins.Hosting.Runtime;

/// <summary>One plugin found in the plugins folder: its current state and, when loaded, its runtime.</summary>
internal sealed class PluginEntry(PluginInfo info, LoadedPlugin? runtime)
{
    public PluginInfo Info { get; set; } = info;

    public LoadedPlugin? Runtime { get; } = runtime;
}

internal sealed partial class PluginRegistry(TimeProvider timeProvider, ILogger<PluginRegistry> logger, Microsoft.Extensions.Options.IOptions<PluginHostOptions> options) : IPluginRegistry
{
    private readonly Lock _lock = new();
    private List<PluginEntry> _entries = [];

    internal void Initialize(IEnumerable<PluginEntry> entries)
    {
        lock (_lock)
        {
            _entries = [.. entries];
        }

        PluginMetrics.Track(GetAll);
    }

    internal IReadOnlyList<PluginEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public IReadOnlyList<PluginInfo> GetAll()
    {
        lock (_lock)
        {
            return [.. _entries.Select(e => e.Info)];
        }
    }

    public PluginInfo? Find(string id)
    {
        lock (_lock)
        {
            // With duplicate ids the loaded one (the first found) wins; the refused duplicate is only in GetAll().
            return _entries.Where(e => string.Equals(e.Info.Id, id, StringComparison.OrdinalIgnoreCase))
                .OrderBy(e => e.Info.Status == PluginStatus.Loaded ? 0 : 1)
                .Select(e => e.Info)
                .FirstOrDefault();
        }
    }

    public IReadOnlyList<PluginCapability<T>> GetCapabilities<T>()
        where T : class
    {
        var capabilities = new List<PluginCapability<T>>();
        foreach (var entry in Entries)
        {
            if (entry.Runtime is not { } runtime || entry.Info.Status != PluginStatus.Loaded)
            {
                continue;
            }

            try
            {
                capabilities.AddRange(runtime.Services.GetServices<T>().Select(instance => new PluginCapability<T>(entry.Info.Id, instance)));
            }
            catch (Exception ex)
            {
                // The plugin's own constructors threw: that is the plugin's defect, not the caller's.
                MarkFailed(entry.Info.Id, Describe($"creating its {typeof(T).Name}", ex));
            }
        }

        return capabilities;
    }

    public Task<PluginCallResult<TResult>> TryInvokeAsync<TCapability, TResult>(
        PluginCapability<TCapability> capability,
        Func<TCapability, CancellationToken, Task<TResult>> call,
        CancellationToken cancellationToken)
        where TCapability : class =>
        TryInvokeAsync(capability, call, options.Value.CallTimeout, cancellationToken);

    /// <summary>
    /// <see cref="TryInvokeAsync{TCapability, TResult}(PluginCapability{TCapability}, Func{TCapability, CancellationToken, Task{TResult}}, CancellationToken)"/>
    /// with a timeout of its own; <see cref="Timeout.InfiniteTimeSpan"/> for calls that run for the plugin's lifetime
    /// (background services, which end when their token is cancelled).
    /// </summary>
    internal async Task<PluginCallResult<TResult>> TryInvokeAsync<TCapability, TResult>(
        PluginCapability<TCapability> capability,
        Func<TCapability, CancellationToken, Task<TResult>> call,
        TimeSpan timeout,
        CancellationToken cancellationToken)
        where TCapability : class
    {
        ArgumentNullException.ThrowIfNull(capability);
        ArgumentNullException.ThrowIfNull(call);
        if (Find(capability.PluginId) is not { Status: PluginStatus.Loaded } plugin)
        {
            return new(false, default, $"Plugin '{capability.PluginId}' is not loaded.");
        }

        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return await InvokeAsync(plugin, capability, call, cancellationToken).ConfigureAwait(false);
        }

        // Every other call is bounded: the plugin's token is cancelled after the timeout, and WaitAsync answers the caller
        // then even if the plugin ignores its token (a hung plugin holds its own task, never the module's).
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            var value = await call(capability.Instance, bounded.Token).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return new(true, value, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && bounded.IsCancellationRequested))
        {
            // Slow is not broken: the plugin stays loaded; the caller decides whether to retry. WaitAsync may give up a
            // moment before CancelAfter fires: cancel now, before the source is disposed, so the plugin is told to stop.
            await bounded.CancelAsync().ConfigureAwait(false);
            var reason = $"{typeof(TCapability).Name} of plugin '{plugin.Id}' did not answer within {timeout.TotalSeconds:0.#} s ({PluginHostOptions.CallTimeoutConfigurationKey}); the call was cancelled.";
            LogCallTimedOut(logger, plugin.Id, reason);
            return new(false, default, reason);
        }
        catch (Exception ex)
        {
            var reason = Describe(typeof(TCapability).Name, ex);
            MarkFailed(plugin.Id, reason, ex);
            return new(false, default, reason);
        }
    }

    private async Task<PluginCallResult<TResult>> InvokeAsync<TCapability, TResult>(
        PluginInfo plugin, PluginCapability<TCapability> capability, Func<TCapability, CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
        where TCapability : class
    {
        try
        {
            return new(true, await call(capability.Instance, cancellationToken).ConfigureAwait(false), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var reason = Describe(typeof(TCapability).Name, ex);
            MarkFailed(plugin.Id, reason, ex);
            return new(false, default, reason);
        }
    }

    public Task<PluginCallResult<bool>> TryInvokeAsync<TCapability>(
        PluginCapability<TCapability> capability,
        Func<TCapability, CancellationToken, Task> call,
        CancellationToken cancellationToken)
        where TCapability : class
    {
        ArgumentNullException.ThrowIfNull(call);
        return TryInvokeAsync<TCapability, bool>(
            capability,
            async (instance, token) =>
            {
                await call(instance, token).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    public void MarkFailed(string pluginId, string reason) => MarkFailed(pluginId, reason, exception: null);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plugin {PluginId} timed out: {Reason}")]
    private static partial void LogCallTimedOut(ILogger logger, string pluginId, string reason);

    internal void MarkFailed(string pluginId, string reason, Exception? exception)
    {
        LoadedPlugin? runtime = null;
        lock (_lock)
        {
            foreach (var entry in _entries)
            {
                if (entry.Info.Status == PluginStatus.Loaded && string.Equals(entry.Info.Id, pluginId, StringComparison.OrdinalIgnoreCase))
                {
                    entry.Info = entry.Info with { Status = PluginStatus.Failed, Reason = reason, LastErrorAt = timeProvider.GetUtcNow() };
                    runtime = entry.Runtime;
                    break;
                }
            }
        }

        if (runtime is null)
        {
            return;
        }

        PluginMetrics.Failed(pluginId);
        LogPluginFailed(logger, exception, pluginId, reason);
        runtime.Stop();
    }

    /// <summary>"IPluginHealthCheck threw InvalidOperationException: the message".</summary>
    internal static string Describe(string what, Exception exception)
    {
        if (exception is TargetInvocationException { InnerException: { } inner })
        {
            exception = inner;
        }

        return $"{what} threw {exception.GetType().Name}: {exception.Message}";
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Plugin '{PluginId}' failed and was turned off until the host restarts: {Reason}")]
    private static partial void LogPluginFailed(ILogger logger, Exception? exception, string pluginId, string reason);
}
