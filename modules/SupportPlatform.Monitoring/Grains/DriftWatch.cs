using System.Globalization;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Monitoring.Grains;

/// <summary>A metric's recent baseline on one check, kept in the system's state (so it survives restarts).</summary>
internal sealed class MetricBaseline
{
    /// <summary>Samples folded into the baseline (capped at the rules' sample count: older ones fade out).</summary>
    public int Count { get; set; }

    /// <summary>Exponentially weighted mean and variance of the recent samples.</summary>
    public double Mean { get; set; }

    public double Variance { get; set; }

    /// <summary>Outliers in a row so far (not folded in: a lone spike must not move the baseline).</summary>
    public int Outliers { get; set; }

    public DateTimeOffset LastAt { get; set; }

    /// <summary>Set while the metric is reported as drifting: the warning's dedup key and the drift samples' running sums.</summary>
    public string? DriftKey { get; set; }

    public int DriftCount { get; set; }

    public double DriftSum { get; set; }

    public double DriftSumSquares { get; set; }
}

/// <summary>
/// Watches every numeric metric a source reports (response time, disk use...) for drift against its own recent
/// baseline. The baseline is an exponentially weighted mean and variance over about <see cref="AnomalyRules.Samples"/>
/// samples. Once the baseline has that many samples, a value more than <see cref="AnomalyRules.Threshold"/> standard
/// deviations from the mean (the deviation counted as at least 5% of the mean, so a flat metric does not alarm on a
/// tiny wobble) is an outlier; <see cref="AnomalyRules.Consecutive"/> outliers in a row raise a warning alert (source
/// <c>anomaly</c>) on the check <c>"&lt;check&gt; &lt;metric&gt; drift"</c>. While drifting the baseline is frozen: a value back
/// within 2 deviations recovers the warning, and a metric that stays at its new level for another
/// <see cref="AnomalyRules.Samples"/> samples has that level accepted as its new baseline (also reported as OK).
/// </summary>
internal static class DriftWatch
{
    public const string Source = "anomaly";
    private const char Separator = '\u001f';

    public static IEnumerable<IncomingAlert> Observe(SystemState state, IncomingAlert alert, AnomalyRules rules)
    {
        if (!rules.Enabled || alert.Source == Source || alert.Metrics.Count == 0)
        {
            yield break;
        }

        foreach (var (metric, value) in alert.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            if (double.IsNaN(value) || double.IsInfinity(value))
            {
                continue;
            }

            var key = alert.Check + Separator + metric;
            if (!state.Baselines.TryGetValue(key, out var baseline))
            {
                baseline = state.Baselines[key] = new MetricBaseline();
            }

            if (baseline.Count > 0 && alert.OccurredAt <= baseline.LastAt)
            {
                // An older (or same-instant) sample arriving late: the baseline only moves forward in time.
                continue;
            }

            baseline.LastAt = alert.OccurredAt;
            var deviation = Math.Max(Math.Sqrt(baseline.Variance), Math.Max(Math.Abs(baseline.Mean) * 0.05, 1e-9));
            var z = (value - baseline.Mean) / deviation;
            if (baseline.DriftKey is { } driftKey)
            {
                if (Math.Abs(z) < 2)
                {
                    baseline.DriftKey = null;
                    baseline.Outliers = 0;
                    Fold(baseline, value, rules);
                    yield return Derived(alert, metric, value, AlertState.Ok, driftKey,
                        $"{metric} of {CheckName(alert.Check)} is back to its baseline: {Format(value)} against {Format(baseline.Mean)} ± {Format(deviation)}");
                    continue;
                }

                baseline.DriftCount++;
                baseline.DriftSum += value;
                baseline.DriftSumSquares += value * value;
                if (baseline.DriftCount >= rules.Samples)
                {
                    var mean = baseline.DriftSum / baseline.DriftCount;
                    baseline.Mean = mean;
                    baseline.Variance = Math.Max(0, (baseline.DriftSumSquares / baseline.DriftCount) - (mean * mean));
                    baseline.Count = baseline.DriftCount;
                    baseline.DriftKey = null;
                    baseline.Outliers = 0;
                    yield return Derived(alert, metric, value, AlertState.Ok, driftKey,
                        $"{metric} of {CheckName(alert.Check)} has stayed at its new level for {rules.Samples} samples: {Format(mean)} is now its baseline");
                }

                continue;
            }

            if (baseline.Count >= rules.Samples && Math.Abs(z) >= rules.Threshold)
            {
                baseline.Outliers++;
                if (baseline.Outliers >= rules.Consecutive)
                {
                    baseline.DriftKey = string.Create(CultureInfo.InvariantCulture, $"{Source}|{alert.Check}|{metric}|{alert.OccurredAt.UtcTicks}");
                    baseline.DriftCount = 1;
                    baseline.DriftSum = value;
                    baseline.DriftSumSquares = value * value;
                    yield return Derived(alert, metric, value, AlertState.Warning, baseline.DriftKey,
                        $"{metric} of {CheckName(alert.Check)} drifted {(z > 0 ? "up" : "down")}: {Format(value)} against a baseline of {Format(baseline.Mean)} ± {Format(deviation)} ({baseline.Outliers} samples in a row beyond {Format(rules.Threshold)} deviations)");
                }

                continue;
            }

            baseline.Outliers = 0;
            Fold(baseline, value, rules);
        }
    }

    /// <summary>Exponentially weighted update with a weight of 2 / (samples + 1); the first samples are averaged evenly.</summary>
    private static void Fold(MetricBaseline baseline, double value, AnomalyRules rules)
    {
        var n = baseline.Count + 1;
        var weight = n <= rules.Samples ? 1.0 / n : 2.0 / (rules.Samples + 1);
        baseline.Count = Math.Min(n, rules.Samples);
        var difference = value - baseline.Mean;
        baseline.Mean += weight * difference;
        baseline.Variance = (1 - weight) * (baseline.Variance + (weight * difference * difference));
    }

    private static IncomingAlert Derived(IncomingAlert from, string metric, double value, AlertState state, string dedupKey, string summary) => new()
    {
        IdemKey = from.IdemKey + "|drift|" + metric,
        Source = Source,
        HostName = from.HostName,
        Check = (from.Check.Length == 0 ? metric : $"{from.Check} {metric}") + " drift",
        State = state,
        Category = AlertCategory.Availability,
        DedupKey = dedupKey,
        OccurredAt = from.OccurredAt,
        Summary = summary.Length <= MonitoringAlert.MaxSummary ? summary : summary[..MonitoringAlert.MaxSummary],
        Details = $"Reported by {from.Source} on {CheckName(from.Check)}: {metric} = {Format(value)}.",
        Metrics = new Dictionary<string, double> { [metric] = value },
        ReceivedAt = from.ReceivedAt,
    };

    private static string CheckName(string check) => check.Length == 0 ? "the host" : $"'{check}'";

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
