using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Core.Mail;
using SupportPlatform.Core.People;
using SupportPlatform.Email.Outbox;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Email.Notifications;

/// <summary>
/// Tells the people an escalation names, by mail, in the escalation's transaction: every active agent of the group the
/// ticket was escalated to (by hand, or by an escalation rule on an SLA warning or breach), and the agent the ticket is
/// assigned to when that agent is not in the group. Escalations to a vendor reach the vendor through the ticket's own
/// vendor message. Agents without a known address are skipped (logged).
/// </summary>
internal sealed class EscalationNotifier(
    IOutboundMail outbox,
    IAgentDirectory agents,
    IEnumerable<IContactDirectory> contacts,
    TemplateRenderer templates,
    IOptionsMonitor<EmailOptions> options,
    ILogger<EscalationNotifier> logger) : ITicketCommitParticipant
{
    public async Task OnCommittingAsync(TicketChange change, DbTransaction transaction, CancellationToken cancellationToken)
    {
        foreach (var escalated in change.Events.OfType<Escalated>())
        {
            if (escalated.ToGroup is not { } group)
            {
                continue;
            }

            var people = (await agents.ListAgentsAsync(cancellationToken: cancellationToken))
                .Where(a => a.Active && a.Groups.Contains(group, StringComparer.OrdinalIgnoreCase))
                .Select(a => a.Id)
                .ToList();
            if (change.Ticket.AgentId is { } assigned && !people.Contains(assigned, StringComparer.Ordinal))
            {
                people.Add(assigned);
            }

            var ticket = change.Ticket;
            var url = options.CurrentValue.PublicUrl is { Length: > 0 } publicUrl ? $"{publicUrl.TrimEnd('/')}/console/tickets/{ticket.Id}" : null;
            foreach (var person in people)
            {
                if (await contacts.FindContactAsync(person, cancellationToken) is not { Email: { } address } contact)
                {
                    logger.LogWarning("Ticket {Ticket} escalated to {Group}: agent {Agent} has no known address and was not told", ticket.Id, group, person);
                    continue;
                }

                var rendered = templates.Render("ticket-escalated", new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["ticket"] = new { id = ticket.Id, subject = ticket.Subject, priority = ticket.Priority.ToString().ToLowerInvariant(), account_id = ticket.AccountId, status = ticket.Status.ToString() },
                    ["escalation"] = new { level = escalated.Level, group, reason = escalated.Reason, by = escalated.Actor.Name },
                    ["agent"] = new { name = contact.DisplayName },
                    ["url"] = url,
                });
                await outbox.EnqueueAsync(
                    new OutboundMail(address, rendered.Subject, rendered.Text, rendered.Html, "ticket-escalated", new Dictionary<string, string>
                    {
                        ["References"] = MailThreads.TicketThread(ticket.Id),
                        ["Auto-Submitted"] = "auto-generated",
                    }),
                    transaction,
                    cancellationToken);
            }
        }
    }
}
