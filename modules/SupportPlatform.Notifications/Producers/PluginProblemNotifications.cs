using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SupportPlatform.Core.Plugins;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Notifications.Contracts;

namespace SupportPlatform.Notifications.Producers;

/// <summary>
/// Tells the administrators (and whoever subscribes to <c>plugin-failed</c>) when a plugin stops running: it threw
/// and was turned off, or was refused at start (incompatible, invalid folder). The plugin registry lives in each
/// node's memory, so every node looks at its own every few seconds (wall clock); the event key is the plugin, its
/// status, its reason and the hour, so the same problem seen by two nodes, or again after a restart within the hour,
/// is told once. Until the first administrator exists (a fresh install) nothing is told; then they are.
/// </summary>
internal sealed partial class PluginProblemNotifications(
    IEnumerable<IPluginProblems> problems,
    IEnumerable<IUserDirectory> users,
    INotifier notifier,
    ILogger<PluginProblemNotifications> logger) : BackgroundService
{
    /// <summary>How often the node's plugins are looked at.</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);

    private readonly HashSet<string> told = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (problems.FirstOrDefault() is not { } source)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await TellAsync(source, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be away; the problem is told on a later round.
                LogRoundFailed(logger, ex);
            }

            try
            {
                await Task.Delay(Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task TellAsync(IPluginProblems source, CancellationToken cancellationToken)
    {
        foreach (var problem in source.Current())
        {
            var since = problem.Since ?? DateTimeOffset.UtcNow;
            var reasonHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(problem.Reason ?? "")))[..16];
            var key = string.Create(CultureInfo.InvariantCulture, $"plugins/{problem.PluginId}/{problem.Status}/{reasonHash}/{since.UtcDateTime:yyyyMMddHH}");
            if (told.Contains(key))
            {
                continue;
            }

            var admins = users.FirstOrDefault() is { } directory
                ? (await directory.ListStaffAsync(cancellationToken)).Where(u => u.Active && u.Role == SupportPlatform.Core.Security.PlatformRoles.Admin).Select(u => u.Id).ToList()
                : [];
            if (admins.Count == 0)
            {
                // A fresh install before its first administrator exists: tell them once there is one.
                continue;
            }

            var name = problem.Name is { Length: > 0 } n && !string.Equals(n, problem.PluginId, StringComparison.Ordinal) ? $"{n} ({problem.PluginId})" : problem.PluginId;
            var what = problem.Status switch
            {
                "failed" => "failed and was turned off until the host restarts",
                "incompatible" => "was not loaded: it does not fit this version of the platform",
                _ => "was not loaded: its folder or manifest is wrong",
            };
            await notifier.NotifyAsync(
                new StaffNotification(key, NotificationEventType.PluginFailed, $"Plugin {name} {problem.Status}", string.Create(CultureInfo.InvariantCulture, $"""
                    The plugin {name} {what}.
                    Reason: {problem.Reason ?? "not given"}
                    Since: {since:yyyy-MM-dd HH:mm:ss} UTC, on {Environment.MachineName}.
                    What it provided (mail intake, monitoring feeds, telephony...) is unavailable until it runs again: see Admin, Plugins.
                    """))
                {
                    Recipients = admins,
                    IncludeSubscribers = true,
                    Link = "/console/admin",
                },
                cancellationToken);
            told.Add(key);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell staff about plugin problems; trying again shortly")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}
