using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Runtime;

/// <summary>
/// Healthy when every enabled plugin is loaded and reports healthy; otherwise the registration's failure status
/// (Degraded by default: the host itself works). The data lists every plugin with its status and reason.
/// </summary>
internal sealed class PluginsHealthCheck(IPluginRegistry registry, IOptions<PluginHostOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var reports = new Dictionary<string, PluginHealthResult>(StringComparer.OrdinalIgnoreCase);
        var checks = registry.GetCapabilities<IPluginHealthCheck>();
        var results = await Task.WhenAll(checks.Select(check => CheckOneAsync(check, cancellationToken))).ConfigureAwait(false);
        foreach (var (pluginId, result) in results)
        {
            // A plugin with several checks reports its worst.
            if (result is not null && (!reports.TryGetValue(pluginId, out var known) || result.Status < known.Status))
            {
                reports[pluginId] = result;
            }
        }

        var data = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        var plugins = registry.GetAll();
        foreach (var plugin in plugins)
        {
            var key = data.ContainsKey(plugin.Id) ? $"{plugin.Id} ({Path.GetFileName(plugin.Folder)})" : plugin.Id;
            if (plugin.Status != PluginStatus.Loaded)
            {
                data[key] = $"{plugin.Status}: {plugin.Reason}";
                if (plugin.Status != PluginStatus.Disabled)
                {
                    problems.Add($"{key} is {plugin.Status}");
                }

                continue;
            }

            if (reports.TryGetValue(plugin.Id, out var report))
            {
                data[key] = $"{PluginStatus.Loaded}, {report.Status}" + (report.Description is null ? string.Empty : $": {report.Description}");
                if (report.Status != PluginHealthStatus.Healthy)
                {
                    problems.Add($"{key} reports {report.Status}");
                }
            }
            else
            {
                data[key] = PluginStatus.Loaded.ToString();
            }
        }

        var loaded = plugins.Count(p => p.Status == PluginStatus.Loaded);
        return problems.Count == 0
            ? HealthCheckResult.Healthy($"{loaded} plugin(s) loaded.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, $"{problems.Count} plugin problem(s): {string.Join("; ", problems)}.", data: data);
    }

    private async Task<(string PluginId, PluginHealthResult? Result)> CheckOneAsync(PluginCapability<IPluginHealthCheck> check, CancellationToken cancellationToken)
    {
        var timeout = options.Value.HealthCheckTimeout;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            // WaitAsync: a plugin that ignores its token cannot hold the health endpoint past the timeout.
            var outcome = await registry.TryInvokeAsync(
                check, static (plugin, token) => plugin.CheckAsync(token).WaitAsync(token), timeoutSource.Token).ConfigureAwait(false);

            // A throwing check has marked its plugin Failed: the registry's status tells the rest.
            return (check.PluginId, outcome.Succeeded ? outcome.Value : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Slow is not broken: report it, but leave the plugin loaded.
            return (check.PluginId, PluginHealthResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"Health check did not answer within {timeout.TotalSeconds:0.#} s.")));
        }
    }
}
