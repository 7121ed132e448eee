using System.Data.Common;
using System.Text;
using Dapper;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Knowledge.Tickets;

/// <summary>
/// Keeps the searchable text of each ticket (sp_kb_ticket_text) in the ticket's own commit transaction, so search can
/// never disagree with the ticket after a crash: the subject, status and tags as they are now; the description, every
/// comment and every resolution note appended as they happen. The full-text indexes follow (PostgreSQL: GIN expression
/// index; SQLite: FTS5 triggers).
/// </summary>
internal sealed class TicketTextIndexer : ITicketCommitParticipant
{
    public async Task OnCommittingAsync(TicketChange change, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var ticket = change.Ticket;
        var appended = new StringBuilder();
        var created = false;
        foreach (var e in change.Events)
        {
            switch (e)
            {
                case TicketCreated:
                    created = true;
                    break;
                case CommentAdded comment:
                    appended.Append('\n').Append(comment.Body);
                    break;
                case StatusChanged { Note: { Length: > 0 } note }:
                    appended.Append('\n').Append(note);
                    break;
                default:
                    break;
            }
        }

        var initial = ticket.Description + appended;
        await transaction.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sp_kb_ticket_text (ticket_id, account_id, subject, body, tags, status, updated_at_ms)
            VALUES (@id, @accountId, @subject, @initial, @tags, @status, @now)
            ON CONFLICT (ticket_id) DO UPDATE SET account_id = excluded.account_id, subject = excluded.subject,
                   body = CASE WHEN @created THEN excluded.body ELSE sp_kb_ticket_text.body || @appended END,
                   tags = excluded.tags, status = excluded.status, updated_at_ms = excluded.updated_at_ms
            """, new
        {
            id = ticket.Id, accountId = ticket.AccountId, subject = ticket.Subject, initial, appended = appended.ToString(), created,
            tags = string.Join(' ', ticket.Tags), status = System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(ticket.Status.ToString()),
            now = ticket.UpdatedAt.ToUnixTimeMilliseconds(),
        }, transaction, cancellationToken: cancellationToken));
    }
}
