using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Sdk.Testing.Conformance;

/// <summary>
/// Checks of the capabilities the host runs itself: health checks answer (and honour cancellation), background services
/// stop when cancelled, acknowledgers honour cancellation, and what a monitoring source or telephony adapter stored
/// can be routed back to it.
/// </summary>
public static class CapabilityConformance
{
    /// <summary>
    /// Each <see cref="IPluginHealthCheck"/> answers within <paramref name="timeout"/> without throwing (an unhealthy
    /// result says why), and with a cancelled token returns or throws <see cref="OperationCanceledException"/> promptly.
    /// </summary>
    /// <param name="harness">The plugin, loaded.</param>
    /// <param name="timeout">How long a check may take; default 5 s (the host's default timeout).</param>
    /// <returns>The report.</returns>
    public static async Task<ConformanceReport> HealthChecksAsync(PluginHarness harness, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(harness);
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        var report = new ConformanceReport();
        var checks = harness.HealthChecks;
        report.Record(PluginCapabilities.HealthCheck, "registers a health check", checks.Count > 0, $"{checks.Count} registered");
        foreach (var check in checks)
        {
            var name = check.GetType().Name;
            try
            {
                var result = await check.CheckAsync(CancellationToken.None).WaitAsync(limit).ConfigureAwait(false);
                var ok = result is not null && (result.Status == PluginHealthStatus.Healthy || !string.IsNullOrWhiteSpace(result.Description));
                report.Record(PluginCapabilities.HealthCheck, $"{name} answers, saying why when not healthy", ok,
                    ok ? $"{result!.Status}: {result.Description}" : "it answered null or a non-healthy status without a description; administrators need the reason.");
            }
            catch (Exception ex)
            {
                report.Record(PluginCapabilities.HealthCheck, $"{name} answers, saying why when not healthy", false,
                    ex is TimeoutException ? $"no answer within {limit.TotalSeconds:0} s" : $"threw {ex.GetType().Name} ({ex.Message}); the host marks a plugin whose health check throws as failed: return Unhealthy for outside problems.");
            }

            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync().ConfigureAwait(false);
            try
            {
                await check.CheckAsync(cancelled.Token).WaitAsync(limit).ConfigureAwait(false);
                report.Record(PluginCapabilities.HealthCheck, $"{name} honours cancellation", true, "returned");
            }
            catch (OperationCanceledException)
            {
                report.Record(PluginCapabilities.HealthCheck, $"{name} honours cancellation", true, "threw OperationCanceledException");
            }
            catch (Exception ex)
            {
                report.Record(PluginCapabilities.HealthCheck, $"{name} honours cancellation", false,
                    ex is TimeoutException ? $"still running {limit.TotalSeconds:0} s after its token was cancelled" : $"threw {ex.GetType().Name} ({ex.Message}) instead of stopping");
            }
        }

        return report;
    }

    /// <summary>
    /// Each <see cref="IPluginBackgroundService"/> runs for <paramref name="runFor"/> without failing, then stops within
    /// <paramref name="stopTimeout"/> of its token being cancelled, ending normally or with <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <param name="harness">The plugin, loaded.</param>
    /// <param name="runFor">How long to let it run first; default 200 ms.</param>
    /// <param name="stopTimeout">How long it may take to stop; default 5 s.</param>
    /// <returns>The report.</returns>
    public static async Task<ConformanceReport> BackgroundServicesAsync(PluginHarness harness, TimeSpan? runFor = null, TimeSpan? stopTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(harness);
        var report = new ConformanceReport();
        var services = harness.BackgroundServices;
        var stopLimit = stopTimeout ?? TimeSpan.FromSeconds(5);
        report.Record(PluginCapabilities.BackgroundService, "registers a background service", services.Count > 0, $"{services.Count} registered");
        foreach (var service in services)
        {
            var name = service.GetType().Name;
            using var stop = new CancellationTokenSource();
            Task run;
            try
            {
                run = Task.Run(() => service.RunAsync(stop.Token));
            }
            catch (Exception ex)
            {
                report.Record(PluginCapabilities.BackgroundService, $"{name} runs until cancelled", false, $"threw {ex.GetType().Name} ({ex.Message})");
                continue;
            }

            await Task.WhenAny(run, Task.Delay(runFor ?? TimeSpan.FromMilliseconds(200))).ConfigureAwait(false);
            if (run.IsFaulted)
            {
                var ex = run.Exception!.GetBaseException();
                report.Record(PluginCapabilities.BackgroundService, $"{name} runs until cancelled", false,
                    $"failed before it was cancelled: {ex.GetType().Name} ({ex.Message}); the host marks the plugin failed. Catch and retry what fails transiently.");
                continue;
            }

            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await run.WaitAsync(stopLimit).ConfigureAwait(false);
                report.Record(PluginCapabilities.BackgroundService, $"{name} stops when cancelled", true, "returned");
            }
            catch (OperationCanceledException)
            {
                report.Record(PluginCapabilities.BackgroundService, $"{name} stops when cancelled", true, "threw OperationCanceledException");
            }
            catch (TimeoutException)
            {
                report.Record(PluginCapabilities.BackgroundService, $"{name} stops when cancelled", false,
                    $"still running {stopLimit.TotalSeconds:0} s after cancellation: pass the token to every wait and I/O call.");
            }
            catch (Exception ex)
            {
                report.Record(PluginCapabilities.BackgroundService, $"{name} stops when cancelled", false,
                    $"threw {ex.GetType().Name} ({ex.Message}) when cancelled; end normally or with OperationCanceledException.");
            }
        }

        return report;
    }

    /// <summary>
    /// Each <see cref="IMonitoringAcknowledger"/> names its source and, with a cancelled token, throws
    /// <see cref="OperationCanceledException"/> promptly (never reports a silence it did not create); the alerts the
    /// plugin's webhook stored (if any) carry a source an acknowledger of the plugin answers for, so acknowledgements reach it.
    /// </summary>
    /// <param name="harness">The plugin, loaded (after <see cref="WebhookConformance"/> when it is also a monitoring source).</param>
    /// <param name="alert">An alert to acknowledge; default the last one the plugin stored, else a made-up one.</param>
    /// <returns>The report.</returns>
    public static async Task<ConformanceReport> AcknowledgersAsync(PluginHarness harness, MonitoringAlert? alert = null)
    {
        ArgumentNullException.ThrowIfNull(harness);
        const string capability = PluginCapabilities.MonitoringAcknowledgement;
        var report = new ConformanceReport();
        var acknowledgers = harness.Acknowledgers;
        report.Record(capability, "registers an acknowledger", acknowledgers.Count > 0, $"{acknowledgers.Count} registered");
        foreach (var acknowledger in acknowledgers)
        {
            var name = acknowledger.GetType().Name;
            var source = acknowledger.Source;
            report.Record(capability, $"{name} names its source", !string.IsNullOrWhiteSpace(source) && source.Length <= 50, $"'{source}'");
            var stored = harness.Alerts.Stored;
            if (stored.Count > 0)
            {
                var foreign = stored.Select(a => a.Source).Distinct(StringComparer.Ordinal).Where(s => !acknowledgers.Any(a => a.Source == s)).ToList();
                report.Record(capability, "stored alerts carry a source the plugin acknowledges", foreign.Count == 0,
                    foreign.Count == 0 ? $"'{source}'" : $"alerts came with source {string.Join(", ", foreign)} but the acknowledgers answer for {string.Join(", ", acknowledgers.Select(a => a.Source))}: acknowledgements would never reach this plugin.");
            }

            var target = alert ?? stored.LastOrDefault(a => a.Source == source) ?? new MonitoringAlert
            {
                Source = source,
                System = "conformance.example.test",
                Check = "conformance",
                State = AlertState.Critical,
                DedupKey = "conformance-1",
                OccurredAt = harness.Clock.GetUtcNow(),
                Summary = "Conformance check",
            };
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync().ConfigureAwait(false);
            var ack = new AlertAcknowledgement(target, "Conformance Kit", "conformance check", harness.Clock.GetUtcNow().AddHours(1));
            try
            {
                var text = await acknowledger.AcknowledgeAsync(ack, cancelled.Token).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                report.Record(capability, $"{name} honours cancellation", false, $"it reported '{text}' although its token was cancelled.");
            }
            catch (OperationCanceledException)
            {
                report.Record(capability, $"{name} honours cancellation", true, "threw OperationCanceledException");
            }
            catch (Exception ex)
            {
                report.Record(capability, $"{name} honours cancellation", false,
                    ex is TimeoutException ? "still running 10 s after its token was cancelled" : $"threw {ex.GetType().Name} ({ex.Message}) instead of OperationCanceledException; check the token first.");
            }
        }

        return report;
    }

    /// <summary>
    /// What a telephony adapter reported (run after <see cref="WebhookConformance"/>): every event and routed call names
    /// one provider, and every event an id, so retries and acknowledgements find the same call.
    /// </summary>
    /// <param name="harness">The plugin, after its webhook checks.</param>
    /// <returns>The report.</returns>
    public static ConformanceReport Telephony(PluginHarness harness)
    {
        ArgumentNullException.ThrowIfNull(harness);
        var report = new ConformanceReport();
        var events = harness.Telephony.Events;
        var providers = events.Select(e => e.Provider).Concat(harness.Telephony.RoutedCalls.Select(c => c.Provider)).Distinct(StringComparer.Ordinal).ToList();
        report.Record(PluginCapabilities.Telephony, "reported call events", events.Count > 0, $"{events.Count} events");
        report.Record(PluginCapabilities.Telephony, "events and routed calls name one provider", providers.Count == 1,
            providers.Count == 1 ? $"'{providers[0]}'" : $"providers seen: {string.Join(", ", providers.Select(p => $"'{p}'"))}; use one stable provider name.");
        return report;
    }
}
