using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Core.Plugins;
using SupportPlatform.Sdk.Billing;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Billing.Exports;

/// <summary>
/// Hands issued documents to the billing adapter plugins. Each (document, plugin) export is a row written with the
/// document; this service runs the due ones, records success with the adapter's reference, or the failure with its
/// reason and the time of the next attempt (30 s, doubling, at most an hour apart). Attempts go on until the adapter
/// succeeds; staff see the state on the invoice and can ask for an attempt at once. Adapters only read the document.
/// </summary>
internal sealed partial class ExportDispatcher(
    IDatabase database,
    BillingOptions options,
    TimeProvider clock,
    IServiceProvider services,
    ILogger<ExportDispatcher> logger) : BackgroundService
{
    private readonly SemaphoreSlim wake = new(0);

    /// <summary>Asks for a pass now (after an issue or a retry request).</summary>
    public void Wake() => wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunDueAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(logger, ex);
            }

            // Woken at once by an issue or a retry request, else after the poll interval (retries that came due).
            await Task.WhenAny(wake.WaitAsync(stoppingToken), Task.Delay(options.ExportPollInterval, clock, stoppingToken));
        }
    }

    /// <summary>Runs every due export once; returns how many ran.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var capabilities = services.GetService<IPluginCapabilities>();
        if (capabilities is null)
        {
            return 0;
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        List<(string InvoiceId, string PluginId, long Attempts, string Body)> due;
        await using (var connection = await database.OpenConnectionAsync(ct))
        {
            due = (await connection.QueryAsync<(string, string, long, string)>(
                """
                SELECT x.invoice_id, x.plugin_id, x.attempts, i.body FROM sp_billing_exports x JOIN sp_billing_invoices i ON i.id = x.invoice_id
                WHERE x.status <> 'done' AND x.next_attempt_at_ms <= @now ORDER BY x.next_attempt_at_ms LIMIT 50
                """, new { now })).ToList();
        }

        var exporters = capabilities.Get<IBillingExporter>();
        foreach (var (invoiceId, pluginId, attempts, body) in due)
        {
            var document = JsonSerializer.Deserialize<BillingDocument>(body, EstimateService.Json)!;
            var exporter = exporters.FirstOrDefault(e => e.PluginId == pluginId);
            BillingExportResult result;
            if (exporter is null)
            {
                result = BillingExportResult.Failure($"The billing adapter plugin '{pluginId}' is not loaded; see the plugins page.");
            }
            else
            {
                var outcome = await capabilities.InvokeAsync(exporter, (e, token) => e.ExportAsync(document, token), ct);
                result = outcome.Succeeded ? outcome.Value ?? BillingExportResult.Failure("The adapter returned no result.") : BillingExportResult.Failure(outcome.Error ?? "The adapter failed.");
            }

            var tries = attempts + 1;
            var at = clock.GetUtcNow();
            var next = at + TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, Math.Min(tries - 1, 12))));
            await using var connection = await database.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(
                """
                UPDATE sp_billing_exports SET status = @status, attempts = @tries, last_error = @error, reference = @reference,
                    next_attempt_at_ms = @next, updated_at_ms = @at
                WHERE invoice_id = @invoiceId AND plugin_id = @pluginId
                """,
                new
                {
                    status = result.Succeeded ? "done" : "failed", tries, error = result.Succeeded ? null : result.Error, reference = result.Reference,
                    next = next.ToUnixTimeMilliseconds(), at = at.ToUnixTimeMilliseconds(), invoiceId, pluginId,
                });
            if (result.Succeeded)
            {
                LogExported(logger, document.Number, pluginId, result.Reference);
            }
            else
            {
                LogExportFailed(logger, document.Number, pluginId, tries, result.Error, next);
            }
        }

        return due.Count;
    }

    /// <summary>Makes a failed export due now.</summary>
    public async Task<bool> RetryNowAsync(string invoiceId, string pluginId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var changed = await connection.ExecuteAsync(
            "UPDATE sp_billing_exports SET next_attempt_at_ms = @now WHERE invoice_id = @invoiceId AND plugin_id = @pluginId AND status <> 'done'",
            new { invoiceId, pluginId, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
        Wake();
        return changed > 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Exported {Number} through {PluginId}: {Reference}")]
    private static partial void LogExported(ILogger logger, string number, string pluginId, string? reference);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Export of {Number} through {PluginId} failed (attempt {Attempt}): {Error}; next attempt at {Next}")]
    private static partial void LogExportFailed(ILogger logger, string number, string pluginId, long attempt, string? error, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Error, Message = "A billing export pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
