using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Nagios;

/// <summary>What one reading of status.dat did (<see cref="Error"/> set when it could not be read or stored).</summary>
internal sealed record SeedOutcome(int Entries, int Accepted, int Duplicates, int Unmapped, int Skipped, string? Error = null, int Status = 200)
{
    public string Summary =>
        $"status.dat: {Entries} hosts and services read; {Accepted} alerts accepted, {Duplicates} already known, {Unmapped} for hosts no system claims, {Skipped} pending or in a soft state skipped.";
}

/// <summary>
/// Seeds the monitored systems' checks from Nagios' <c>status.dat</c> (<c>Plugins:nagios:statusFile</c>): once when the
/// plugin starts, and on demand (<c>POST /hooks/nagios/status</c> with the token). Every host and service in a hard state
/// becomes the alert its notification would have been: a problem under its current problem id (so the notification,
/// when it comes, joins the same incident, and reading the file again is a duplicate), an OK under its last problem id
/// (which resolves an incident whose recovery was missed). Soft states are skipped (Nagios has not decided on them yet
/// and notifies nobody of them either), and so are hosts and services never checked (pending: no state yet).
/// </summary>
internal sealed class NagiosStatusSeeder(NagiosSettings settings, IMonitoringAlertSink sink, TimeProvider clock, ILogger<NagiosStatusSeeder> logger)
    : IPluginBackgroundService
{
    /// <summary>Alerts per submission (the sink stores each batch in one go).</summary>
    private const int BatchSize = 500;

    private readonly SemaphoreSlim single = new(1, 1);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (settings.StatusFile is null)
        {
            return;
        }

        var outcome = await SeedAsync(cancellationToken);
        if (outcome.Error is null)
        {
            logger.LogInformation("Nagios initial state: {Summary}", outcome.Summary);
        }
        else
        {
            // Not fatal: the notifications still arrive; POST /hooks/nagios/status reads it again later.
            logger.LogWarning("Nagios initial state not read: {Error}", outcome.Error);
        }
    }

    public async Task<SeedOutcome> SeedAsync(CancellationToken cancellationToken)
    {
        if (settings.StatusFile is not { } path)
        {
            return new SeedOutcome(0, 0, 0, 0, 0, "Plugins:nagios:statusFile is not set, so there is no status.dat to read.", 409);
        }

        await single.WaitAsync(cancellationToken);
        try
        {
            IReadOnlyList<NagiosStatusEntry> entries;
            try
            {
                using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
                entries = NagiosStatusFile.Parse(reader);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                return new SeedOutcome(0, 0, 0, 0, 0, $"Could not read {path} (Plugins:nagios:statusFile): {ex.Message}", 503);
            }

            var alerts = new List<MonitoringAlert>();
            var skipped = 0;
            foreach (var entry in entries)
            {
                if (!entry.Checked || !entry.Hard)
                {
                    skipped++;
                    continue;
                }

                alerts.Add(Alert(entry));
            }

            int accepted = 0, duplicates = 0, unmapped = 0;
            try
            {
                foreach (var batch in alerts.Chunk(BatchSize))
                {
                    foreach (var receipt in await sink.SubmitAsync(batch, cancellationToken))
                    {
                        _ = receipt.Disposition switch
                        {
                            AlertDisposition.Duplicate => duplicates++,
                            AlertDisposition.Unmapped => unmapped++,
                            _ => accepted++,
                        };
                    }
                }
            }
            catch (InvalidAlertException ex)
            {
                return new SeedOutcome(entries.Count, accepted, duplicates, unmapped, skipped, $"status.dat holds an entry that is not a valid alert: {ex.Message}", 422);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "The Nagios initial state could not be stored");
                return new SeedOutcome(entries.Count, accepted, duplicates, unmapped, skipped, "The alerts from status.dat could not be stored; try again.", 503);
            }

            return new SeedOutcome(entries.Count, accepted, duplicates, unmapped, skipped);
        }
        finally
        {
            single.Release();
        }
    }

    private MonitoringAlert Alert(NagiosStatusEntry entry)
    {
        var host = entry.Service.Length == 0;
        var (state, text) = (host, entry.State) switch
        {
            (true, 0) => (AlertState.Ok, "UP"),
            (true, 1) => (AlertState.Critical, "DOWN"),
            (true, _) => (AlertState.Critical, "UNREACHABLE"),
            (false, 0) => (AlertState.Ok, "OK"),
            (false, 1) => (AlertState.Warning, "WARNING"),
            (false, 2) => (AlertState.Critical, "CRITICAL"),
            _ => (AlertState.Unknown, "UNKNOWN"),
        };
        // As in a notification: the problem id while a problem lasts, the last one once it is over.
        var problem = state != AlertState.Ok && entry.ProblemId != "0" ? entry.ProblemId : entry.LastProblemId;
        return NagiosAlerts.Create(entry.Host, entry.Service, state, text, problem, entry.LastStateChange ?? clock.GetUtcNow(), entry.Output, entry.LongOutput);
    }
}
