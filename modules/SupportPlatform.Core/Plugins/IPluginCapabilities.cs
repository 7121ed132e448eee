namespace SupportPlatform.Core.Plugins;

/// <summary>
/// The modules' window on the capabilities that loaded plugins offer (SDK adapter contracts such as a monitoring
/// source's acknowledger). The host implements it over its plugin registry; modules never see the registry itself.
/// </summary>
public interface IPluginCapabilities
{
    /// <summary>The implementations of <typeparamref name="T"/> registered by every plugin that is currently loaded.</summary>
    /// <typeparam name="T">An SDK capability interface.</typeparam>
    /// <returns>Each with the id of its plugin.</returns>
    IReadOnlyList<PluginCapabilityRef<T>> Get<T>()
        where T : class;

    /// <summary>
    /// Calls a plugin; an exception from the plugin marks the plugin failed (logged, the reason kept for the admin
    /// pages) and is answered as a failed outcome instead of an exception.
    /// </summary>
    /// <typeparam name="T">The capability interface.</typeparam>
    /// <typeparam name="TResult">What the call returns.</typeparam>
    /// <param name="capability">The capability, from <see cref="Get{T}"/>.</param>
    /// <param name="call">The call.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The outcome.</returns>
    Task<PluginCallOutcome<TResult>> InvokeAsync<T, TResult>(PluginCapabilityRef<T> capability, Func<T, CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
        where T : class;
}

/// <summary>One plugin's implementation of a capability.</summary>
/// <typeparam name="T">The capability interface.</typeparam>
/// <param name="PluginId">The plugin's id.</param>
/// <param name="Instance">The implementation, from the plugin's own services.</param>
public sealed record PluginCapabilityRef<T>(string PluginId, T Instance)
    where T : class;

/// <summary>The outcome of <see cref="IPluginCapabilities.InvokeAsync{T, TResult}"/>.</summary>
/// <typeparam name="T">What the call returns.</typeparam>
/// <param name="Succeeded">Whether the plugin answered without an exception.</param>
/// <param name="Value">Its answer.</param>
/// <param name="Error">The error when it failed.</param>
public readonly record struct PluginCallOutcome<T>(bool Succeeded, T? Value, string? Error);
