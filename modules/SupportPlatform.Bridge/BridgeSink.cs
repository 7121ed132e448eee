using System.Data.Common;
using Dapper;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Bridge;

/// <summary>The host's <see cref="ITicketingSink"/>: a webhook's notification becomes a durable queue row, then the worker is woken.</summary>
internal sealed class BridgeSink(BridgeStore store, BridgeWorker worker) : ITicketingSink
{
    public async Task TicketChangedAsync(string system, string ticketId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(system);
        ArgumentException.ThrowIfNullOrWhiteSpace(ticketId);
        if (ticketId.Length > 100)
        {
            throw new ArgumentException("A help desk ticket id is at most 100 characters.", nameof(ticketId));
        }

        await store.EnqueueAsync(system, "in", ticketId, cancellationToken);
        worker.Wake();
    }
}

/// <summary>
/// Queues a bridged ticket for the help desk in the same transaction as a change staff or clients made to it
/// (comments, status, assignment), so the change reaches the help desk even after a crash. Changes the bridge itself
/// made (actor <c>bridge:*</c>, comments <c>bridge-*</c>) queue nothing.
/// </summary>
internal sealed class BridgeCommitParticipant(TimeProvider clock, IServiceProvider services) : ITicketCommitParticipant
{
    public async Task OnCommittingAsync(TicketChange change, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var relevant = change.Events.Any(e => e switch
        {
            CommentAdded c => !c.CommentId.StartsWith("bridge-", StringComparison.Ordinal) && !IsBridge(c.Actor),
            StatusChanged or Assigned => !IsBridge(e.Actor),
            _ => false,
        });
        if (!relevant || change.Ticket.ExternalReferences.Count == 0)
        {
            return;
        }

        var system = await transaction.Connection!.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT system FROM sp_bridge_tickets WHERE ticket_id = @ticket", new { ticket = change.Ticket.Id }, transaction, cancellationToken: cancellationToken));
        if (system is null)
        {
            return;
        }

        await BridgeStore.EnqueueAsync(transaction.Connection!, transaction, system, "out",
            change.Ticket.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        (services.GetService(typeof(BridgeWorker)) as BridgeWorker)?.Wake();
    }

    private static bool IsBridge(Actor actor) => actor.Id.StartsWith("bridge:", StringComparison.Ordinal);
}
