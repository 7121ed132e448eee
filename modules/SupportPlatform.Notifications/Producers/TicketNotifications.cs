using System.Data.Common;
using System.Text.RegularExpressions;
using SupportPlatform.Core;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Notifications.Escalation;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Notifications.Producers;

/// <summary>
/// Turns ticket events into staff notifications, in the ticket change's own transaction (a change and its
/// notifications exist together): new tickets (subscribers), assignment (the agent), client replies (the assigned agent
/// and subscribers), mentions (<c>@user-id</c> in a staff comment), SLA warnings and breaches (subscribers and the assigned agent), escalations to a group (its active agents
/// and the assigned agent, by hand or by an escalation rule). It also starts escalation policies for
/// new critical tickets, SLA warnings and breaches, voicemail tickets and monitoring tickets of critical priority.
/// Event keys are the ticket event's (ticket, sequence), so a replayed change notifies nobody twice.
/// </summary>
internal sealed partial class TicketNotifications(INotifier notifier, IEnumerable<IUserDirectory> users, EscalationService escalations, IEnumerable<IAgentDirectory> agents) : ITicketCommitParticipant
{
    /// <summary>
    /// The changes of one group commit: the new-ticket notifications of all of them are stored together (one statement,
    /// one subscriber lookup), everything else as for a single change.
    /// </summary>
    public async Task OnCommittingAsync(IReadOnlyList<TicketChange> changes, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (changes.Count <= 1 || notifier is not Delivery.Notifier batching)
        {
            foreach (var change in changes)
            {
                await OnCommittingAsync(change, transaction, cancellationToken);
            }

            return;
        }

        var created = new List<StaffNotification>();
        foreach (var change in changes)
        {
            await HandleAsync(change, transaction, created, cancellationToken);
        }

        await batching.NotifyManyAsync(created, transaction, cancellationToken);
    }

    public Task OnCommittingAsync(TicketChange change, DbTransaction transaction, CancellationToken cancellationToken) =>
        HandleAsync(change, transaction, null, cancellationToken);

    /// <summary>Notifies what <paramref name="change"/> calls for; new-ticket notifications go to <paramref name="created"/> when given (stored by the caller).</summary>
    private async Task HandleAsync(TicketChange change, DbTransaction transaction, List<StaffNotification>? created, CancellationToken cancellationToken)
    {
        var ticket = change.Ticket;
        foreach (var e in change.Events)
        {
            var key = $"tickets/{ticket.Id}/event/{e.Seq}";
            switch (e)
            {
                case TicketCreated opened:
                    var newTicket = new StaffNotification(key, NotificationEventType.NewTicket,
                        $"New {Lower(opened.Priority)} ticket #{ticket.Id}: {ticket.Subject}",
                        $"{ticket.AccountId} opened ticket #{ticket.Id} by {Lower(opened.Channel)}: {ticket.Subject}")
                    {
                        IncludeSubscribers = true, TicketId = ticket.Id, Urgent = opened.Priority == Priority.Critical,
                    };
                    if (created is not null)
                    {
                        created.Add(newTicket);
                    }
                    else
                    {
                        await notifier.NotifyAsync(newTicket, transaction, cancellationToken);
                    }

                    if (opened.Priority == Priority.Critical || opened.Channel == TicketChannel.Voicemail)
                    {
                        var kind = opened.Channel switch
                        {
                            TicketChannel.Voicemail => "voicemail",
                            TicketChannel.Monitoring => "monitoring-incident",
                            _ => "critical-ticket",
                        };
                        await escalations.StartAsync(ticket, $"tickets/{ticket.Id}/created", kind, transaction, cancellationToken);
                    }

                    break;

                case Assigned { AgentId: { } agent } assigned when agent != e.Actor.Id:
                    await notifier.NotifyAsync(new StaffNotification(key, NotificationEventType.Assignment,
                        $"Ticket #{ticket.Id} assigned to you: {ticket.Subject}", $"{assigned.Reason}.")
                    {
                        Recipients = [agent], TicketId = ticket.Id, Urgent = ticket.Priority == Priority.Critical,
                    }, transaction, cancellationToken);
                    break;

                case CommentAdded { Visibility: CommentVisibility.Public } reply when e.Actor.Kind == ActorKind.Client:
                    await notifier.NotifyAsync(new StaffNotification(key, NotificationEventType.ClientReply,
                        $"[#{ticket.Id}] {e.Actor.Name} replied: {ticket.Subject}", Excerpt(reply.Body))
                    {
                        Recipients = ticket.AgentId is { } owner ? [owner] : [], IncludeSubscribers = true, TicketId = ticket.Id,
                        Urgent = ticket.Priority == Priority.Critical,
                    }, transaction, cancellationToken);
                    break;

                case CommentAdded comment:
                    var mentioned = await MentionedStaffAsync(comment.Body, e.Actor.Id, cancellationToken);
                    if (mentioned.Count > 0)
                    {
                        await notifier.NotifyAsync(new StaffNotification(key + "/mention", NotificationEventType.Mention,
                            $"{e.Actor.Name} mentioned you on #{ticket.Id}: {ticket.Subject}", Excerpt(comment.Body))
                        {
                            Recipients = mentioned, TicketId = ticket.Id,
                        }, transaction, cancellationToken);
                    }

                    break;

                case SlaWarned warned:
                    await notifier.NotifyAsync(new StaffNotification(key, NotificationEventType.SlaWarning,
                        $"SLA warning on #{ticket.Id} ({warned.Clock}): {ticket.Subject}", $"The {warned.Clock} target of ticket #{ticket.Id} is due at {warned.DueAt:yyyy-MM-dd HH:mm} UTC.")
                    {
                        Recipients = ticket.AgentId is { } a ? [a] : [], IncludeSubscribers = true, TicketId = ticket.Id,
                    }, transaction, cancellationToken);
                    await escalations.StartAsync(ticket, key, "sla-warning", transaction, cancellationToken);
                    break;

                case SlaBreached breached:
                    await notifier.NotifyAsync(new StaffNotification(key, NotificationEventType.SlaBreach,
                        $"SLA breached on #{ticket.Id} ({breached.Clock}): {ticket.Subject}", $"The {breached.Clock} target of ticket #{ticket.Id} was due at {breached.DueAt:yyyy-MM-dd HH:mm} UTC.")
                    {
                        Recipients = ticket.AgentId is { } b ? [b] : [], IncludeSubscribers = true, TicketId = ticket.Id, Urgent = true,
                    }, transaction, cancellationToken);
                    await escalations.StartAsync(ticket, key, "sla-breach", transaction, cancellationToken);
                    break;

                case Escalated { ToGroup: { } group } escalated:
                    var people = agents.FirstOrDefault() is { } directory
                        ? (await directory.ListAgentsAsync(cancellationToken: cancellationToken)).Where(a => a.Active && a.Groups.Contains(group, StringComparer.OrdinalIgnoreCase)).Select(a => a.Id).ToList()
                        : [];
                    if (ticket.AgentId is { } assignee && !people.Contains(assignee, StringComparer.Ordinal))
                    {
                        people.Add(assignee);
                    }

                    people.Remove(e.Actor.Id);
                    if (people.Count > 0)
                    {
                        await notifier.NotifyAsync(new StaffNotification(key, NotificationEventType.Escalation,
                            $"[#{ticket.Id}] Escalated to {group} (level {escalated.Level}): {ticket.Subject}",
                            $"{e.Actor.Name} escalated ticket #{ticket.Id} ({Lower(ticket.Priority)}, {ticket.AccountId}) to {group}: {escalated.Reason}")
                        {
                            Recipients = people, TicketId = ticket.Id, Urgent = ticket.Priority == Priority.Critical,
                        }, transaction, cancellationToken);
                    }

                    break;

                case StatusChanged { To: TicketStatus.Resolved or TicketStatus.Closed }:
                    await escalations.StopForTicketAsync(ticket.Id, transaction, cancellationToken);
                    break;
            }
        }
    }

    private async Task<IReadOnlyList<string>> MentionedStaffAsync(string body, string author, CancellationToken cancellationToken)
    {
        if (users.FirstOrDefault() is not { } directory)
        {
            return [];
        }

        var found = new List<string>();
        foreach (var id in Mention().Matches(body).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal))
        {
            if (id != author && await directory.FindAsync(id, cancellationToken) is { Kind: "staff", Active: true })
            {
                found.Add(id);
            }
        }

        return found;
    }

    private static string Excerpt(string body) => body.Length <= 500 ? body : body[..500] + "…";

    private static string Lower<T>(T value)
        where T : struct, Enum => NotificationJson.Kebab(value);

    // "@alice" or "@bob.smith" at the start or after a space or bracket: not the middle of an email address.
    [GeneratedRegex(@"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})(?<![._-])")]
    private static partial Regex Mention();
}
