namespace SupportPlatform.Sdk;

/// <summary>
/// Capability: long-running work of a plugin, such as polling a mailbox. The host starts
/// <see cref="RunAsync"/> once the plugins are loaded and cancels it when the host stops.
/// </summary>
/// <remarks>
/// Returning ends the work normally. An exception marks the whole plugin as failed (its other capabilities are no
/// longer offered to the host) but never stops the host: catch and retry what is expected to fail transiently.
/// </remarks>
public interface IPluginBackgroundService
{
    /// <summary>Runs the work until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="cancellationToken">Cancelled when the host stops or the plugin is marked as failed.</param>
    /// <returns>A task that completes when the work ends.</returns>
    Task RunAsync(CancellationToken cancellationToken);
}
