using SupportPlatform.Monitoring.Grains;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Monitoring.Incidents;

/// <summary>
/// Watches monitoring tickets: the first time staff take one up (open it, take it, reply or note on it), the
/// incident is acknowledged and its system's grain acknowledges the alerts at their sources.
/// </summary>
internal sealed class IncidentTicketObserver(IGrainFactory grains) : ITicketObserver
{
    public Task OnTicketChangedAsync(TicketChange change, CancellationToken cancellationToken)
    {
        if (change.Ticket.Channel != TicketChannel.Monitoring
            || change.Ticket.ExternalReferences.FirstOrDefault(r => r.System == MonitoringReferences.System) is not { } reference
            || !SystemKeys.TryParseIncident(reference.Reference, out var system, out var number))
        {
            return Task.CompletedTask;
        }

        var taken = change.Events.FirstOrDefault(e => e.Actor.Kind == ActorKind.Staff && e switch
        {
            StatusChanged s => s.From == TicketStatus.New && s.To is not (TicketStatus.Resolved or TicketStatus.Closed),
            Assigned a => a.AgentId is not null,
            CommentAdded => true,
            _ => false,
        });
        return taken is null
            ? Task.CompletedTask
            // One-way: the system's grain may itself be waiting on this ticket's grain (adding a note), so waiting here could deadlock.
            : grains.GetGrain<IMonitoredSystemGrain>(SystemKeys.Grain(system)).TicketAcknowledged(number, taken.Actor.Name);
    }
}
