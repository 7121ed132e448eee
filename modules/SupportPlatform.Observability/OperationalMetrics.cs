using System.Diagnostics.Metrics;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Observability;

/// <summary>
/// Counts intake and SLA events from committed ticket changes, and samples the queue and the inbound mail backlog from
/// the read model every <see cref="SampleInterval"/> (a scrape never waits on the database).
/// </summary>
internal sealed partial class OperationalMetrics : ITicketObserver, IHostedService, IDisposable
{
    public const string MeterName = "SupportPlatform.Operations";
    internal static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(10);

    private readonly IDatabase database;
    private readonly TimeProvider clock;
    private readonly ILogger<OperationalMetrics> logger;
    private readonly Meter meter;
    private readonly Counter<long> created;
    private readonly Counter<long> warnings;
    private readonly Counter<long> breaches;
    private volatile IReadOnlyList<(string Status, long Count)> queue = [];
    private volatile Box lag = new(0, 0);
    private ITimer? timer;

    public OperationalMetrics(IDatabase database, TimeProvider clock, ILogger<OperationalMetrics> logger, IMeterFactory? meters = null)
    {
        this.database = database;
        this.clock = clock;
        this.logger = logger;
        meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        created = meter.CreateCounter<long>("supportplatform.tickets.created", unit: "{ticket}", description: "Tickets opened, by channel and priority (intake rate).");
        warnings = meter.CreateCounter<long>("supportplatform.sla.warnings", unit: "{warning}", description: "SLA clocks that reached their warning share.");
        breaches = meter.CreateCounter<long>("supportplatform.sla.breaches", unit: "{breach}", description: "SLA clocks that ran out.");
        meter.CreateObservableGauge("supportplatform.queue.depth", () => queue.Select(q => new Measurement<long>(q.Count, new KeyValuePair<string, object?>("status", q.Status))),
            unit: "{ticket}", description: "Tickets per status that are not closed (resolved, open, waiting), from the read model.");
        meter.CreateObservableGauge("supportplatform.mail.import.lag", () => lag.Seconds, unit: "s",
            description: "Age of the oldest stored inbound message not yet processed (0 when none waits).");
        meter.CreateObservableGauge("supportplatform.mail.import.waiting", () => lag.Waiting, unit: "{message}",
            description: "Stored inbound messages not yet processed.");
    }

    public Task OnTicketChangedAsync(TicketChange change, CancellationToken cancellationToken)
    {
        foreach (var e in change.Events)
        {
            switch (e)
            {
                case TicketCreated c:
                    created.Add(1, new KeyValuePair<string, object?>("channel", c.Channel.ToString().ToLowerInvariant()),
                        new KeyValuePair<string, object?>("priority", c.Priority.ToString().ToLowerInvariant()));
                    break;
                case SlaWarned w:
                    warnings.Add(1, new KeyValuePair<string, object?>("clock", w.Clock));
                    break;
                case SlaBreached b:
                    breaches.Add(1, new KeyValuePair<string, object?>("clock", b.Clock));
                    break;
            }
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Sampling on a timer keeps scrapes cheap and bounded whatever the scrape interval. The timer is one-shot and
        // re-armed when a sample finishes, so samples never overlap: a periodic timer started one sample per tick
        // whether the last had finished or not, and a clock that jumped (a fake clock moved 15 days fired it 129,600
        // times at once; a slow database does the same over time) took every pooled connection.
        timer = clock.CreateTimer(_ => _ = SampleAndRearmAsync(), null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        timer?.Dispose();
        return Task.CompletedTask;
    }

    private async Task SampleAndRearmAsync()
    {
        await SampleAsync();
        try
        {
            timer?.Change(SampleInterval, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Stopped while sampling.
        }
    }

    internal async Task SampleAsync()
    {
        try
        {
            await using var connection = await database.OpenConnectionAsync();
            var rows = await connection.QueryAsync<(string Status, long Count)>(
                "SELECT status, count(*) FROM sp_tickets WHERE status <> 'closed' GROUP BY status");
            queue = [.. rows];
            var backlog = await connection.QuerySingleAsync<(long Waiting, long? Oldest)>(
                "SELECT count(*), min(stored_at_ms) FROM sp_inbound_mail WHERE processed_at_ms IS NULL");
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            lag = new Box(backlog.Oldest is { } oldest ? Math.Max(0, (now - oldest) / 1000.0) : 0, backlog.Waiting);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            // Before the schema exists, or during a database outage (readiness reports that): keep the last figures.
            LogSampleFailed(logger, ex.Message);
        }
    }

    public void Dispose()
    {
        timer?.Dispose();
        meter.Dispose();
    }

    private sealed record Box(double Seconds, long Waiting);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Operational metrics could not be sampled: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string reason);
}
