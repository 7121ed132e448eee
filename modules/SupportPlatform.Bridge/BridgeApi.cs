using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;

namespace SupportPlatform.Bridge;

/// <summary>Start an import with <see cref="StartImportRequest.Since"/>, or resume one; <see cref="StartImportRequest.Restart"/> starts over.</summary>
/// <param name="Since">Bring over tickets changed since then (default: 2000-01-01, everything).</param>
/// <param name="Restart">Start over from the organisations even if an import ran before (records already brought over are not doubled).</param>
internal sealed record StartImportRequest(DateTimeOffset? Since, bool Restart = false);

/// <summary>Which queue rows to try again now: one (<see cref="Direction"/> and <see cref="Ref"/>) or, with neither, every waiting row of the help desk.</summary>
/// <param name="Direction"><c>in</c> (a help desk ticket) or <c>out</c> (a platform ticket).</param>
/// <param name="Ref">The row's ticket id.</param>
internal sealed record RetryQueueRequest(string? Direction, string? Ref);

/// <summary>One help desk as the bridge sees it.</summary>
internal sealed record BridgeSystemView(string System, string? PluginId, bool AdapterLoaded, object? Import, long LinkedAccounts, long LinkedContacts, long LinkedTickets, IReadOnlyList<object> Queue);

/// <summary>
/// The admin API of the bridge (<c>/api/admin/bridge</c>, admins): the help desks with an adapter plugin, each
/// import's progress, starting, resuming and pausing an import, and the sync queue.
/// </summary>
internal static class BridgeApi
{
    public static void MapBridgeApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/admin/bridge").WithTags("Bridge");

        api.MapGet("/", async (BridgeWorker worker, BridgeStore store, CancellationToken ct) =>
            {
                var imports = await store.ListImportsAsync(ct);
                var systems = worker.Adapters().Select(a => a.System).Concat(imports.Select(i => i.System)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                var list = new List<BridgeSystemView>();
                foreach (var system in systems)
                {
                    list.Add(await ViewAsync(system, worker, store, ct));
                }

                return Results.Ok(list);
            })
            .WithName("ListBridges").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("Every help desk with a ticketing adapter plugin or an import: the import's state, phase and counts, links, the sync queue.");

        api.MapGet("/{system}", async (string system, BridgeWorker worker, BridgeStore store, CancellationToken ct) =>
                worker.Adapter(system) is null && await store.FindImportAsync(system, ct) is null
                    ? NotFound(system)
                    : Results.Ok(await ViewAsync(system, worker, store, ct)))
            .WithName("GetBridge").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("One help desk's import progress and sync queue.");

        api.MapPost("/{system}/import", async (string system, StartImportRequest? request, BridgeWorker worker, BridgeStore store, TimeProvider clock, CancellationToken ct) =>
            {
                if (worker.Adapter(system) is null)
                {
                    return NotFound(system);
                }

                var since = request?.Since ?? new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
                if (since > clock.GetUtcNow())
                {
                    return Problem(422, "invalid-since", $"since is {since:O}, in the future; give the time from which tickets should come over, e.g. 2024-01-01T00:00:00Z.");
                }

                await store.StartImportAsync(system, since, request?.Restart ?? false, ct);
                worker.Wake();
                return Results.Accepted($"/api/admin/bridge/{system}", await ViewAsync(system, worker, store, ct));
            })
            .WithName("StartBridgeImport").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("Starts the import from the help desk, or resumes a paused or failed one where it stood ({ since?, restart? }).");

        api.MapGet("/{system}/tickets/{externalId}", async (string system, string externalId, BridgeStore store, CancellationToken ct) =>
                await store.FindTicketAsync(system, externalId, ct) is { } t
                    ? Results.Ok(new { t.System, t.ExternalId, t.TicketId, t.BaseStatus, t.BaseAssignee, t.ExternalUpdatedAt })
                    : Problem(404, "not-found", $"{BridgeSync.Title(system)} ticket {externalId} is not bridged (not imported yet, or deleted there)."))
            .WithName("GetBridgedTicket").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("The platform's ticket for a help desk ticket, with the status and assignee both sides last agreed on.");

        api.MapPost("/{system}/queue/retry", async (string system, RetryQueueRequest? request, BridgeWorker worker, BridgeStore store, CancellationToken ct) =>
            {
                var direction = string.IsNullOrWhiteSpace(request?.Direction) ? null : request.Direction.Trim();
                var reference = string.IsNullOrWhiteSpace(request?.Ref) ? null : request.Ref.Trim();
                if (direction is not (null or "in" or "out"))
                {
                    return Problem(422, "invalid-direction", $"direction is '{direction}': give 'in' (a help desk ticket), 'out' (a platform ticket), or leave it out to retry every waiting row.");
                }

                if ((direction is null) != (reference is null))
                {
                    return Problem(422, "invalid-row", "Give both direction and ref to retry one row, or neither to retry every waiting row.");
                }

                if (worker.Adapter(system) is null && await store.FindImportAsync(system, ct) is null)
                {
                    return NotFound(system);
                }

                var retried = await store.RetryNowAsync(system, direction, reference, ct);
                if (retried == 0 && reference is not null)
                {
                    return Problem(404, "not-found", $"No waiting {direction} row for {reference} in the {BridgeSync.Title(system)} sync queue (done already, or due now).");
                }

                worker.Wake();
                return Results.Ok(new { retried, bridge = await ViewAsync(system, worker, store, ct) });
            })
            .WithName("RetryBridgeQueue").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("Makes waiting sync queue rows due now: one ({ direction, ref }) or all of the help desk ({}).");

        api.MapPost("/{system}/pause", async (string system, BridgeWorker worker, BridgeStore store, CancellationToken ct) =>
                await store.SetStateAsync(system, "paused", null, ct) ? Results.Ok(await ViewAsync(system, worker, store, ct)) : NotFound(system))
            .WithName("PauseBridgeImport").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("Pauses the import (and the polling for later changes) after the page in flight; webhooks still sync bridged tickets.");
    }

    private static async Task<BridgeSystemView> ViewAsync(string system, BridgeWorker worker, BridgeStore store, CancellationToken ct)
    {
        var adapter = worker.Adapter(system);
        var import = await store.FindImportAsync(system, ct);
        var queue = await store.ListQueueAsync(system, ct);
        return new BridgeSystemView(
            system,
            adapter is null ? null : system,
            adapter is not null,
            import is null ? null : new
            {
                import.State,
                import.Phase,
                import.Cursor,
                CaughtUp = import.State == "caught-up",
                import.Since,
                import.Organizations,
                import.Users,
                import.Tickets,
                import.Comments,
                import.Attachments,
                import.Skipped,
                import.WaitingUntil,
                import.LastError,
                import.StartedAt,
                import.UpdatedAt,
                import.FinishedAt,
            },
            await store.CountLinksAsync(system, BridgeSync.Organization, ct),
            await store.CountLinksAsync(system, BridgeSync.User, ct),
            await store.CountLinksAsync(system, BridgeSync.Ticket, ct),
            queue.Select(q => (object)new { q.Direction, q.Ref, q.Attempts, q.LastError, q.NextAt }).ToList());
    }

    private static IResult NotFound(string system) =>
        Problem(404, "not-found", $"No ticketing adapter plugin '{system}' is loaded and nothing was imported from it; see GET /api/admin/plugins.");

    private static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, type: $"https://supportplatform.dev/problems/{code}",
            extensions: new Dictionary<string, object?> { ["code"] = code });
}
