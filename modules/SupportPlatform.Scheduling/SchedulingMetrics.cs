using System.Diagnostics.Metrics;

namespace SupportPlatform.Scheduling;

/// <summary>The scheduler's OpenTelemetry-compatible instruments (meter <see cref="MeterName"/>, exported by the host).</summary>
internal sealed class SchedulingMetrics
{
    public const string MeterName = "SupportPlatform.Scheduling";
    public const string LatenessName = "supportplatform.scheduling.lateness";

    private readonly Histogram<double> lateness;
    private readonly Counter<long> fired;
    private readonly Counter<long> failures;
    private long pending;

    public SchedulingMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        lateness = meter.CreateHistogram(
            LatenessName,
            unit: "ms",
            description: "How long after its due time a deadline was delivered (successful deliveries).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 5, 10, 25, 50, 100, 250, 500, 750, 1000, 2000, 5000, 10000, 60000] });
        fired = meter.CreateCounter<long>("supportplatform.scheduling.fired", unit: "{deadline}", description: "Deadlines delivered to their target.");
        failures = meter.CreateCounter<long>("supportplatform.scheduling.delivery_failures", unit: "{attempt}", description: "Delivery attempts whose target threw or timed out (retried).");
        meter.CreateObservableGauge(
            "supportplatform.scheduling.pending",
            () => Interlocked.Read(ref pending),
            unit: "{deadline}",
            description: "Deadlines due within the look-ahead window, held in memory by this node's shards.");
    }

    public void Delivered(double latenessMs)
    {
        lateness.Record(latenessMs);
        fired.Add(1);
    }

    public void DeliveryFailed() => failures.Add(1);

    public void AdjustPending(long delta) => Interlocked.Add(ref pending, delta);
}
