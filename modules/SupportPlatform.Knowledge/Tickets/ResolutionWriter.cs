using System.Globalization;
using System.Text;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.People;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Knowledge.Articles;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Knowledge.Tickets;

/// <summary>
/// "Write up this resolution": drafts an internal article from a resolved ticket's subject, problem (its description,
/// the first message) and resolution note, with the client's personal data left out, links the article to the ticket
/// (written-from) and records the article on the ticket as an external reference (an event in the ticket's history).
/// </summary>
internal sealed class ResolutionWriter(
    IClusterClient cluster,
    ArticleStore articles,
    IUserDirectory users,
    IEnumerable<IContactDirectory> contacts)
{
    /// <summary>The system name of the ticket's reference to its article.</summary>
    public const string ReferenceSystem = "knowledge-base";

    public async Task<ArticleView> WriteUpAsync(long ticketId, Editor editor, CancellationToken cancellationToken)
    {
        var ticket = await cluster.GetGrain<ITicketGrain>(ticketId).Get()
            ?? throw new KnowledgeException(404, "not-found", $"Ticket {ticketId} does not exist.");
        if (ticket.Status is not (TicketStatus.Resolved or TicketStatus.Closed) || string.IsNullOrWhiteSpace(ticket.ResolutionNote))
        {
            throw KnowledgeException.Conflict("ticket-not-resolved",
                $"Ticket {ticketId} is {System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(ticket.Status.ToString())}; only a resolved ticket (with its resolution note) can be written up.");
        }

        var existing = (await articles.LinksOfTicketAsync(ticketId, cancellationToken)).FirstOrDefault(l => l.Relation == TicketRelation.WrittenFrom);
        if (existing.ArticleId != 0)
        {
            throw KnowledgeException.Conflict("already-written-up", $"Ticket {ticketId} was already written up as article {existing.ArticleId} ('{existing.Title}').");
        }

        var (names, accountName) = await PersonalNamesAsync(ticket, cancellationToken);
        var title = PersonalDataScrubber.Scrub(ticket.Subject, names, accountName);
        var body = new StringBuilder()
            .Append("## Problem\n\n").Append(PersonalDataScrubber.Scrub(ticket.Description, names, accountName)).Append("\n\n")
            .Append("## Resolution\n\n").Append(PersonalDataScrubber.Scrub(ticket.ResolutionNote!, names, accountName)).Append('\n')
            .ToString();
        var draft = new ArticleDraft(
            title.Length > ArticleRules.MaxTitle ? title[..ArticleRules.MaxTitle] : title,
            body,
            ticket.Tags.Where(t => System.Text.RegularExpressions.Regex.IsMatch(t, "^[a-z0-9][a-z0-9-]{0,39}$")).Take(ArticleRules.MaxTags).ToList(),
            ticket.Type,
            ArticleVisibility.Internal,
            null);
        var article = await articles.CreateAsync(draft, editor, ticketId, cancellationToken);

        var id = article.Id.ToString(CultureInfo.InvariantCulture);
        await cluster.GetGrain<ITicketGrain>(ticketId).AddExternalReference(
            new ExternalReference(ReferenceSystem, "KB-" + id, "/console/kb?id=" + id),
            new Actor(ActorKind.Staff, editor.Id, editor.Name));
        return article;
    }

    /// <summary>Names that must not reach an article: the requester's, the account's users' and its contacts'; and the account's name.</summary>
    private async Task<(List<string> Names, string? AccountName)> PersonalNamesAsync(TicketView ticket, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        if (await users.FindAsync(ticket.RequesterId, cancellationToken) is { } requester)
        {
            names.Add(requester.Name);
        }

        if (await contacts.FindContactAsync(ticket.RequesterId, cancellationToken) is { } contact && contact.DisplayName != contact.Email)
        {
            names.Add(contact.DisplayName);
        }

        names.AddRange((await users.ListAccountUsersAsync(ticket.AccountId, cancellationToken)).Select(u => u.Name));
        var account = await cluster.GetGrain<IClientAccountGrain>(AccountKeys.Grain(ticket.AccountId)).Get();
        return (names, account?.Name);
    }
}
