using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SupportPlatform.Core.Plugins;
using SupportPlatform.Sdk.Ticketing;

namespace SupportPlatform.Bridge;

/// <summary>
/// Runs the imports and the sync queue, one step at a time on this node: a page of the import of each help desk whose
/// lease this node holds, then the due queue rows. Progress is stored after every page (phase and cursor), so a restart
/// continues where the last stored page ended; the page in flight is read again, which is harmless (every write is
/// keyed by the help desk's ids).
/// </summary>
/// <remarks>
/// Adapters are called directly rather than through the plugin registry's guarded call, because a help desk that
/// refuses or rate-limits is an expected, retried condition (<see cref="TicketingApiException"/>), not a plugin fault
/// that should disable the plugin. Any failure is recorded on the import or the queue row and retried.
/// </remarks>
internal sealed partial class BridgeWorker(
    BridgeStore store,
    BridgeSync sync,
    BridgeOptions options,
    TimeProvider clock,
    IServiceProvider services,
    ILogger<BridgeWorker> logger) : BackgroundService
{
    // Renewed at every step; released at a clean stop, so another node (or this one restarted) continues at once.
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly string owner = Environment.MachineName + "/" + Guid.NewGuid().ToString("N")[..8];
    private readonly SemaphoreSlim wake = new(0);

    /// <summary>Asks for a pass now (a webhook arrived, an import was started).</summary>
    public void Wake()
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    public IReadOnlyList<ITicketingAdapter> Adapters() =>
        services.GetService<IPluginCapabilities>()?.Get<ITicketingAdapter>().Select(c => c.Instance).ToList() ?? [];

    public ITicketingAdapter? Adapter(string system) => Adapters().FirstOrDefault(a => string.Equals(a.System, system, StringComparison.Ordinal));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await store.ReleaseLeasesAsync(owner, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The lease runs out by itself.
            LogPassFailed(logger, ex);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var busy = false;
            try
            {
                busy = await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(logger, ex);
            }

            if (!busy)
            {
                await Task.WhenAny(wake.WaitAsync(stoppingToken), Task.Delay(options.WorkInterval, clock, stoppingToken));
            }
        }
    }

    /// <summary>One pass; true when there was work (another pass follows at once).</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        var busy = false;
        foreach (var import in await store.ListImportsAsync(ct))
        {
            busy |= await ImportStepAsync(import, ct);
        }

        foreach (var item in await store.ClaimDueAsync(20, Lease, ct))
        {
            busy = true;
            await ProcessAsync(item, ct);
        }

        return busy;
    }

    private async Task<bool> ImportStepAsync(ImportProgress import, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var due = import.State == "running" || (import.State == "caught-up" && import.UpdatedAt + options.PollInterval <= now);
        if (!due || import.WaitingUntil > now || Adapter(import.System) is not { } adapter || !await store.LeaseAsync(import.System, owner, Lease, ct))
        {
            return false;
        }

        var counts = new ImportCounts();
        try
        {
            switch (import.Phase)
            {
                case "organizations":
                {
                    var page = await adapter.ListOrganizationsAsync(import.Cursor, ct);
                    foreach (var organization in page.Items)
                    {
                        await sync.ImportOrganizationAsync(import.System, organization, counts, ct);
                    }

                    await Advance(page.EndOfStream || page.NextCursor is null, "users", page.NextCursor, "organizations");
                    break;
                }

                case "users":
                {
                    var page = await adapter.ListUsersAsync(import.Cursor, ct);
                    foreach (var user in page.Items)
                    {
                        await sync.ImportUserAsync(import.System, user, counts, ct);
                    }

                    await Advance(page.EndOfStream || page.NextCursor is null, "tickets", page.NextCursor, "users");
                    break;
                }

                default:
                {
                    var page = await adapter.ListChangedTicketsAsync(import.Cursor, import.Since, ct);
                    foreach (var ticket in page.Items)
                    {
                        await sync.SyncTicketAsync(adapter, ticket, ticket.Id, counts, ct);
                    }

                    // The export's end: keep the cursor, where the next poll continues for later changes.
                    await store.AdvanceAsync(import.System, "tickets", page.NextCursor ?? import.Cursor, page.EndOfStream ? "caught-up" : "running", counts, ct);
                    return !page.EndOfStream;
                }
            }

            return true;
        }
        catch (TicketingApiException ex) when (ex.RetryAfter is { } wait)
        {
            // Rate-limited: the same call again once the help desk allows it; what this page already wrote is keyed, so repeats are harmless.
            LogRateLimited(logger, import.System, wait);
            await store.WaitAsync(import.System, clock.GetUtcNow() + wait, $"rate-limited by {BridgeSync.Title(import.System)}: waiting {wait.TotalSeconds:0.#} s ({ex.Message})", ct);
            return false;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogImportFailed(logger, ex, import.System);
            await store.WaitAsync(import.System, clock.GetUtcNow() + TimeSpan.FromSeconds(30), ex.Message, ct);
            return false;
        }

        Task Advance(bool end, string nextPhase, string? cursor, string phase) =>
            store.AdvanceAsync(import.System, end ? nextPhase : phase, end ? null : cursor, import.State == "caught-up" && nextPhase == "tickets" ? "caught-up" : "running", counts, ct);
    }

    private async Task ProcessAsync(QueueItem item, CancellationToken ct)
    {
        if (Adapter(item.System) is not { } adapter)
        {
            await store.FailAsync(item, $"The ticketing adapter '{item.System}' is not loaded; see the plugins page.", clock.GetUtcNow() + TimeSpan.FromMinutes(1), countAttempt: true, ct);
            return;
        }

        try
        {
            var counts = new ImportCounts();
            if (item.Direction == "out")
            {
                if (long.TryParse(item.Ref, System.Globalization.CultureInfo.InvariantCulture, out var ticketId) && await store.FindTicketByLocalAsync(ticketId, ct) is { } bridged)
                {
                    await sync.SyncTicketAsync(adapter, null, bridged.ExternalId, counts, ct);
                }
            }
            else if (await store.FindImportAsync(item.System, ct) is { Phase: not "tickets" })
            {
                // The organisations and users are still coming: the ticket follows them, so it lands in its account.
                await store.FailAsync(item, "waiting for the import to reach the tickets", clock.GetUtcNow() + TimeSpan.FromSeconds(10), countAttempt: false, ct);
                return;
            }
            else if (await store.FindImportAsync(item.System, ct) is not null)
            {
                await sync.SyncTicketAsync(adapter, null, item.Ref, counts, ct);
            }
            else
            {
                // Nothing is imported from this help desk yet: the organisations and users come first.
                await store.FailAsync(item, $"Start the import from {BridgeSync.Title(item.System)} first (POST /api/admin/bridge/{item.System}/import).", clock.GetUtcNow() + TimeSpan.FromMinutes(1), countAttempt: false, ct);
                return;
            }

            await store.CompleteAsync(item, ct);
        }
        catch (TicketingApiException ex) when (ex.RetryAfter is { } wait)
        {
            await store.FailAsync(item, ex.Message, clock.GetUtcNow() + wait, countAttempt: false, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogSyncFailed(logger, ex, item.System, item.Direction, item.Ref);
            var next = clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(3600, 5 * Math.Pow(2, Math.Min(item.Attempts, 10))));
            await store.FailAsync(item, ex.Message, next, countAttempt: true, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A bridge pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{System} rate-limited the import; waiting {Wait}")]
    private static partial void LogRateLimited(ILogger logger, string system, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import step from {System} failed; retrying in 30 s")]
    private static partial void LogImportFailed(ILogger logger, Exception exception, string system);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync of {System} {Direction} {Ref} failed")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception, string system, string direction, string @ref);
}
