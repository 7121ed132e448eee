using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using SupportPlatform.Monitoring.Grains;
using SupportPlatform.Monitoring.Persistence;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Monitoring.Intake;

/// <summary>
/// The monitoring module's <see cref="IMonitoringAlertSink"/>: validates a batch, sends each system's alerts to its
/// grain (which stores them with the state they change) and stores alerts for unknown host names as unmapped. Returns
/// only when everything is committed.
/// </summary>
internal sealed class AlertSink : IMonitoringAlertSink
{
    private readonly IGrainFactory grains;
    private readonly HostDirectory hosts;
    private readonly MonitoringWriter writer;
    private readonly TimeProvider clock;
    private readonly Counter<long> accepted;
    private readonly Counter<long> duplicates;

    public AlertSink(IGrainFactory grains, HostDirectory hosts, MonitoringWriter writer, TimeProvider clock, IMeterFactory? meters = null)
    {
        this.grains = grains;
        this.hosts = hosts;
        this.writer = writer;
        this.clock = clock;
        var meter = meters?.Create("SupportPlatform.Monitoring") ?? new Meter("SupportPlatform.Monitoring");
        accepted = meter.CreateCounter<long>("sp.monitoring.alerts.accepted", description: "Alerts stored (new ones, mapped or not).");
        duplicates = meter.CreateCounter<long>("sp.monitoring.alerts.duplicates", description: "Alerts recognised as retries or repeats and not stored again.");
    }

    public async Task<IReadOnlyList<AlertReceipt>> SubmitAsync(IReadOnlyList<MonitoringAlert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var problems = new List<string>();
        for (var i = 0; i < alerts.Count; i++)
        {
            if (alerts[i] is null)
            {
                problems.Add($"Alert {i + 1} is missing.");
                continue;
            }

            problems.AddRange(alerts[i].Validate().Select(p => alerts.Count == 1 ? p : $"Alert {i + 1}: {p}"));
        }

        if (problems.Count > 0)
        {
            throw new InvalidAlertException(string.Join(" ", problems.Take(20)));
        }

        var now = clock.GetUtcNow();
        var incoming = alerts.Select(a => Normalise(a, now)).ToArray();
        var receipts = new AlertReceipt[incoming.Length];
        var bySystem = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var unmapped = new List<int>();
        for (var i = 0; i < incoming.Length; i++)
        {
            if (await hosts.ResolveAsync(incoming[i].HostName, cancellationToken) is { } system)
            {
                (bySystem.TryGetValue(system, out var list) ? list : bySystem[system] = []).Add(i);
            }
            else
            {
                unmapped.Add(i);
            }
        }

        var work = bySystem.Select(async pair =>
        {
            var indexes = pair.Value;
            IngestResult[] results;
            try
            {
                results = await grains.GetGrain<IMonitoredSystemGrain>(SystemKeys.Grain(pair.Key)).Ingest(indexes.Select(i => incoming[i]).ToArray());
            }
            catch (MonitoringRuleException ex) when (ex.Code == "unknown-system")
            {
                hosts.Invalidate();
                await StoreUnmappedAsync(indexes);
                return;
            }

            for (var j = 0; j < indexes.Count; j++)
            {
                var r = results[j];
                receipts[indexes[j]] = new AlertReceipt(r.Duplicate ? AlertDisposition.Duplicate : AlertDisposition.Accepted, pair.Key,
                    r.IncidentNumber is { } n ? SystemKeys.IncidentId(pair.Key, n) : null, r.TicketId);
            }
        }).ToList();
        if (unmapped.Count > 0)
        {
            work.Add(StoreUnmappedAsync(unmapped));
        }

        await Task.WhenAll(work);
        var duplicated = receipts.Count(r => r.Disposition == AlertDisposition.Duplicate);
        duplicates.Add(duplicated);
        accepted.Add(receipts.Length - duplicated);
        return receipts;

        async Task StoreUnmappedAsync(List<int> indexes)
        {
            // One statement per alert, so that each one's row count says whether it was new or a retry.
            var statements = indexes.SelectMany(i => MonitoringStore.AlertInserts(null, [(incoming[i], null)])).ToList();
            var affected = await writer.WriteAsync(new WriteUnit(statements, null));
            for (var j = 0; j < indexes.Count; j++)
            {
                receipts[indexes[j]] = new AlertReceipt(affected[j] == 1 ? AlertDisposition.Unmapped : AlertDisposition.Duplicate, null, null, null);
            }
        }
    }

    /// <summary>SHA-256 of source, dedup key, state and time: the identity of one delivery's content.</summary>
    internal static string IdempotencyKey(MonitoringAlert alert) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{alert.Source.Trim().ToLowerInvariant()}\n{alert.DedupKey}\n{(int)alert.State}\n{alert.OccurredAt.ToUnixTimeMilliseconds()}")));

    private static IncomingAlert Normalise(MonitoringAlert alert, DateTimeOffset now) => new()
    {
        IdemKey = IdempotencyKey(alert),
        Source = alert.Source.Trim().ToLowerInvariant(),
        HostName = alert.System.Trim().ToLowerInvariant(),
        Check = alert.Check.Trim(),
        State = alert.State,
        Category = alert.Category,
        DedupKey = alert.DedupKey,
        OccurredAt = alert.OccurredAt,
        Summary = Cut(alert.Summary.Trim(), MonitoringAlert.MaxSummary),
        Details = alert.Details is null ? null : Cut(alert.Details, MonitoringAlert.MaxDetails),
        Link = alert.Link,
        Metrics = alert.Metrics.ToDictionary(m => m.Key, m => m.Value),
        Attributes = alert.Attributes.ToDictionary(m => m.Key, m => m.Value),
        ReceivedAt = now,
    };

    private static string Cut(string text, int max) => text.Length > max ? text[..max] : text;
}
