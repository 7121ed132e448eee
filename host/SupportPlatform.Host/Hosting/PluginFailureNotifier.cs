using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Plugins.Hosting;

namespace SupportPlatform.Host.Hosting;

/// <summary>
/// Wiring between the plugin registry and the notification service: every plugin that is (or becomes) failed is
/// announced once to the subscribers of <c>plugin-failed</c>. The key carries the failure's time, so a restart does
/// not repeat an announcement and a later failure of the same plugin is a new one.
/// </summary>
internal sealed class PluginFailureNotifier(IPluginRegistry registry, IEnumerable<INotifier> notifiers, ILogger<PluginFailureNotifier> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (notifiers.FirstOrDefault() is not { } notifier)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        do
        {
            foreach (var plugin in registry.GetAll().Where(p => p.Status == PluginStatus.Failed))
            {
                try
                {
                    var at = plugin.LastErrorAt ?? DateTimeOffset.UnixEpoch;
                    await notifier.NotifyAsync(
                        new StaffNotification($"plugins/{plugin.Id}/failed/{at.ToUnixTimeMilliseconds()}", NotificationEventType.PluginFailed,
                            $"Plugin {plugin.Name ?? plugin.Id} failed", $"The plugin '{plugin.Id}' was turned off: {plugin.Reason}")
                        {
                            IncludeSubscribers = true,
                        },
                        stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Could not announce the failure of plugin {Plugin}; trying again shortly", plugin.Id);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
