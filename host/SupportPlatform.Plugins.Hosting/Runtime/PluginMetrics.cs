using System.Diagnostics.Metrics;

namespace SupportPlatform.Plugins.Hosting.Runtime;

/// <summary>
/// Metrics of the plugin runtime (meter <c>SupportPlatform.Plugins</c>): webhook calls by outcome, plugin failures, and
/// how many plugins are not running. One meter per process: the plugin registry is one per host.
/// </summary>
internal static class PluginMetrics
{
    public const string MeterName = "SupportPlatform.Plugins";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Webhooks = Meter.CreateCounter<long>(
        "supportplatform.webhooks.requests", unit: "{request}", description: "Webhook calls by plugin and outcome (ok, client-error, error).");

    private static readonly Counter<long> Failures = Meter.CreateCounter<long>(
        "supportplatform.plugins.failures", unit: "{failure}", description: "Plugins marked failed after they threw (they stay disabled until the host restarts).");

    private static Func<IReadOnlyList<PluginInfo>>? registry;

    static PluginMetrics()
    {
        Meter.CreateObservableGauge("supportplatform.plugins.not_running", Observe, unit: "{plugin}",
            description: "Plugins found but not running, by status (failed, invalid, incompatible; disabled by configuration is not counted).");
    }

    public static void Track(Func<IReadOnlyList<PluginInfo>> plugins) => registry = plugins;

    public static void Webhook(string pluginId, int statusCode) => Webhooks.Add(1,
        new KeyValuePair<string, object?>("plugin", pluginId.ToLowerInvariant()),
        new KeyValuePair<string, object?>("outcome", statusCode switch { < 400 => "ok", < 500 => "client-error", _ => "error" }));

    public static void Failed(string pluginId) => Failures.Add(1, new KeyValuePair<string, object?>("plugin", pluginId.ToLowerInvariant()));

    private static IEnumerable<Measurement<long>> Observe()
    {
        var plugins = registry?.Invoke() ?? [];
        foreach (var status in new[] { PluginStatus.Failed, PluginStatus.Invalid, PluginStatus.Incompatible })
        {
            yield return new Measurement<long>(plugins.Count(p => p.Status == status), new KeyValuePair<string, object?>("status", status.ToString().ToLowerInvariant()));
        }
    }
}
