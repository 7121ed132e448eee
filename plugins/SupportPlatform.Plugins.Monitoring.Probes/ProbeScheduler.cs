using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Probes;

/// <summary>
/// Runs every probe on its interval and reports to the platform: the first result, every change of state, and a
/// reminder while a problem lasts. The last reported state of each probe is kept in the plugin's data folder, so a
/// restart neither forgets an open problem nor reports a steady state again as new.
/// </summary>
internal sealed class ProbeScheduler(
    IReadOnlyList<ProbeDefinition> probes,
    Prober prober,
    IMonitoringAlertSink sink,
    ProbeHealth health,
    string stateFile,
    TimeProvider time,
    ILogger<ProbeScheduler> logger) : IPluginBackgroundService
{
    public const string Source = "probe";
    private readonly ConcurrentDictionary<string, Reported> _reported = Load(stateFile);
    private readonly Lock _saveLock = new();

    /// <summary>What was last reported for a probe.</summary>
    internal sealed record Reported(AlertState State, DateTimeOffset At);

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(probes.Select(p => LoopAsync(p, cancellationToken)));

    private async Task LoopAsync(ProbeDefinition probe, CancellationToken cancellationToken)
    {
        // Spread the first runs over a second so that many probes do not start in the same instant.
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 1000)), cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(probe, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The platform did not take the alert: it is tried again on the next run (the state is not recorded as reported).
                health.Failed(probe, exception.Message);
                logger.LogWarning(exception, "Probe {Probe}: reporting failed", probe.Id);
            }

            try
            {
                await Task.Delay(probe.Interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task RunOnceAsync(ProbeDefinition probe, CancellationToken cancellationToken)
    {
        var result = await prober.RunAsync(probe, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        health.Ran(probe, result);
        var last = _reported.GetValueOrDefault(probe.Id);
        var due = last is null || last.State != result.State || (result.State != AlertState.Ok && now - last.At >= probe.Repeat);
        if (!due)
        {
            return;
        }

        var alert = new MonitoringAlert
        {
            Source = Source,
            System = probe.System,
            Check = probe.Check,
            State = result.State,
            Category = probe.Category,
            DedupKey = probe.Id,
            OccurredAt = now,
            Summary = result.Summary.Length <= MonitoringAlert.MaxSummary ? result.Summary : result.Summary[..MonitoringAlert.MaxSummary],
            Details = result.Details is { Length: > MonitoringAlert.MaxDetails } d ? d[..MonitoringAlert.MaxDetails] : result.Details,
            Metrics = result.Metrics,
            Attributes = new Dictionary<string, string> { ["kind"] = probe.Kind.ToString().ToLowerInvariant(), ["target"] = probe.Target },
        };
        var receipt = (await sink.SubmitAsync([alert], cancellationToken).ConfigureAwait(false)).Single();
        if (receipt.Disposition == AlertDisposition.Unmapped)
        {
            // Not recorded as reported: the next run tries again, so the result lands once the system is mapped.
            health.Failed(probe, $"no monitored system has the host name '{probe.System}': map it with PUT /api/monitoring/systems/<id> (hostNames)");
            return;
        }

        _reported[probe.Id] = new Reported(result.State, now);
        Save();
    }

    private void Save()
    {
        lock (_saveLock)
        {
            var temporary = stateFile + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(_reported));
            File.Move(temporary, stateFile, overwrite: true);
        }
    }

    private static ConcurrentDictionary<string, Reported> Load(string file) =>
        File.Exists(file) && JsonSerializer.Deserialize<Dictionary<string, Reported>>(File.ReadAllText(file)) is { } saved
            ? new ConcurrentDictionary<string, Reported>(saved, StringComparer.Ordinal)
            : new ConcurrentDictionary<string, Reported>(StringComparer.Ordinal);
}

/// <summary>The admin pages' view: how many probes fail, and why the first one does.</summary>
internal sealed class ProbeHealth(int count) : IPluginHealthCheck
{
    private readonly ConcurrentDictionary<string, string> _problems = new(StringComparer.Ordinal);

    public void Ran(ProbeDefinition probe, ProbeResult result)
    {
        if (result.State == AlertState.Ok)
        {
            _problems.TryRemove(probe.Id, out _);
        }
        else
        {
            _problems[probe.Id] = result.Summary;
        }
    }

    public void Failed(ProbeDefinition probe, string reason) => _problems[probe.Id] = $"{probe.Id}: {reason}";

    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_problems.IsEmpty
            ? PluginHealthResult.Healthy($"{count} probe(s), all passing.")
            : PluginHealthResult.Degraded($"{_problems.Count} of {count} probe(s) failing; first: {_problems.OrderBy(p => p.Key, StringComparer.Ordinal).First().Value}"));
}
