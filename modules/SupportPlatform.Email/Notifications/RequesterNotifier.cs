using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Core.Mail;
using SupportPlatform.Core.People;
using SupportPlatform.Email.Outbox;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Email.Notifications;

/// <summary>
/// Tells a ticket's requester what happened, by mail, in the transaction of the change (so the notice exists exactly
/// when the change does): an acknowledgement of a new ticket, each public reply by staff, and a resolution, a request
/// for their input (pending-client) or a reopening. Internal notes, client replies and changes by the system alone never
/// produce mail. Tickets from monitoring have no human requester and get none. A requester without a known address
/// (neither in a contact directory nor an email address as id) is skipped; the portal still shows everything.
/// <para>
/// Each mail carries the ticket token "[#id]" in its subject and a References header naming the ticket's thread, so a
/// reply by mail finds its ticket.
/// </para>
/// </summary>
internal sealed class RequesterNotifier(
    IOutboundMail outbox,
    IEnumerable<IContactDirectory> contacts,
    TemplateRenderer templates,
    IOptionsMonitor<EmailOptions> options,
    ILogger<RequesterNotifier> logger) : ITicketCommitParticipant
{
    public async Task OnCommittingAsync(TicketChange change, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var ticket = change.Ticket;
        if (ticket.Channel == TicketChannel.Monitoring || change.Events.Count == 0)
        {
            return;
        }

        var notices = Notices(change).ToList();
        if (notices.Count == 0)
        {
            return;
        }

        if (await contacts.FindContactAsync(ticket.RequesterId, cancellationToken) is not { Email: { } address } requester)
        {
            logger.LogDebug("Ticket {Ticket}: requester {Requester} has no known address; no mail", ticket.Id, ticket.RequesterId);
            return;
        }

        var settings = options.CurrentValue;
        foreach (var (template, model, autoSubmitted) in notices)
        {
            var rendered = await templates.RenderAsync(template, Model(ticket, requester, settings, model), cancellationToken);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["References"] = MailThreads.TicketThread(ticket.Id),
                ["In-Reply-To"] = MailThreads.TicketThread(ticket.Id),
                ["X-SupportPlatform-Ticket"] = ticket.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            if (autoSubmitted is not null)
            {
                // RFC 3834: marks machine-sent mail so auto-responders do not answer it (no mail loops).
                headers["Auto-Submitted"] = autoSubmitted;
            }

            await outbox.EnqueueAsync(new OutboundMail(address, rendered.Subject, rendered.Text, rendered.Html, template, headers), transaction, cancellationToken);
        }
    }

    private static IEnumerable<(string Template, object Model, string? AutoSubmitted)> Notices(TicketChange change)
    {
        var publicReply = false;
        foreach (var e in change.Events)
        {
            switch (e)
            {
                // A ticket opened by mail is acknowledged by the inbound pipeline, which knows whether the mail was automatic (no answer, no loop).
                case TicketCreated when change.Ticket.Channel != TicketChannel.Email:
                    yield return ("ticket-created", new { }, "auto-replied");
                    break;
                case CommentAdded { Visibility: CommentVisibility.Public } comment when comment.Actor.Kind == ActorKind.Staff:
                    publicReply = true;
                    yield return ("ticket-reply", ReplyExtra(comment.Body, comment.Actor.Name), null);
                    break;
                case StatusChanged status when e.Actor.Kind == ActorKind.Staff || status.To == TicketStatus.Resolved:
                    var message = status.To switch
                    {
                        TicketStatus.Resolved => ("Resolved", "We have resolved your request. If the problem is not solved, reply to this message and the ticket reopens."),
                        TicketStatus.PendingClient when !publicReply => ("Waiting for you", "We need information from you to go on with your request; please reply to this message."),
                        TicketStatus.Open when status.From is TicketStatus.Resolved or TicketStatus.Closed => ("Reopened", "We reopened your request and are working on it again."),
                        _ => default,
                    };
                    if (message.Item1 is not null)
                    {
                        yield return ("ticket-status", StatusExtra(message.Item1, message.Item2, status.To == TicketStatus.Resolved ? status.Note : null), "auto-generated");
                    }

                    break;
            }
        }
    }

    /// <summary>The extra model of <c>ticket-reply</c>.</summary>
    internal static object ReplyExtra(string body, string? author) => new { comment = new { body, author } };

    /// <summary>The extra model of <c>ticket-status</c>.</summary>
    internal static object StatusExtra(string headline, string message, string? note) => new { status = new { headline, message, note } };

    /// <summary>The model of the requester templates (also the template page's sample).</summary>
    internal static Dictionary<string, object?> Model(TicketView ticket, Contact requester, EmailOptions settings, object extra)
    {
        var model = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["ticket"] = new { id = ticket.Id, subject = ticket.Subject, status = Kebab(ticket.Status.ToString()), priority = Kebab(ticket.Priority.ToString()), account_id = ticket.AccountId },
            ["requester"] = new { name = requester.DisplayName, email = requester.Email },
            ["url"] = settings.PublicUrl is { Length: > 0 } url ? $"{url.TrimEnd('/')}/portal/tickets/{ticket.Id}" : null,
            ["signature"] = settings.From is { } from && MimeKit.MailboxAddress.TryParse(from, out var sender) && sender.Name is { Length: > 0 } name ? name : "Support",
        };
        foreach (var property in extra.GetType().GetProperties())
        {
            model[property.Name] = property.GetValue(extra);
        }

        return model;
    }

    private static string Kebab(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
