using System.Data.Common;
using System.Globalization;
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
    /// <summary>
    /// New tickets of one group commit go in one multi-row statement (ticket intake would otherwise cost a round trip
    /// per ticket inside the shared transaction); other changes, which append to the stored body, one by one.
    /// </summary>
    public async Task OnCommittingAsync(IReadOnlyList<TicketChange> changes, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var created = new List<(TicketChange Change, string Body)>();
        foreach (var change in changes)
        {
            var (isCreated, appended) = Text(change);
            if (isCreated)
            {
                created.Add((change, change.Ticket.Description + appended));
            }
            else
            {
                await OnCommittingAsync(change, transaction, cancellationToken);
            }
        }

        if (created.Count <= 1 || created.Select(c => c.Change.Ticket.Id).Distinct().Count() != created.Count)
        {
            // None or one, or (never expected) one ticket twice, which a single upsert statement cannot take.
            foreach (var (change, _) in created)
            {
                await OnCommittingAsync(change, transaction, cancellationToken);
            }

            return;
        }

        foreach (var chunk in created.Chunk(500))
        {
            var sql = new StringBuilder("INSERT INTO sp_kb_ticket_text (ticket_id, account_id, subject, body, tags, status, updated_at_ms) VALUES ");
            var parameters = new DynamicParameters();
            for (var i = 0; i < chunk.Length; i++)
            {
                var (ticket, body) = (chunk[i].Change.Ticket, chunk[i].Body);
                sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@i{i}, @a{i}, @s{i}, @b{i}, @t{i}, @st{i}, @u{i})");
                parameters.Add($"i{i}", ticket.Id);
                parameters.Add($"a{i}", ticket.AccountId);
                parameters.Add($"s{i}", ticket.Subject);
                parameters.Add($"b{i}", body);
                parameters.Add($"t{i}", string.Join(' ', ticket.Tags));
                parameters.Add($"st{i}", Status(ticket));
                parameters.Add($"u{i}", ticket.UpdatedAt.ToUnixTimeMilliseconds());
            }

            // As the single-ticket statement does for a new ticket: the whole text replaces whatever was stored.
            sql.Append("""
                 ON CONFLICT (ticket_id) DO UPDATE SET account_id = excluded.account_id, subject = excluded.subject, body = excluded.body,
                       tags = excluded.tags, status = excluded.status, updated_at_ms = excluded.updated_at_ms
                """);
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken));
        }
    }

    public async Task OnCommittingAsync(TicketChange change, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var ticket = change.Ticket;
        var (created, appended) = Text(change);
        var initial = ticket.Description + appended;
        await transaction.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sp_kb_ticket_text (ticket_id, account_id, subject, body, tags, status, updated_at_ms)
            VALUES (@id, @accountId, @subject, @initial, @tags, @status, @now)
            ON CONFLICT (ticket_id) DO UPDATE SET account_id = excluded.account_id, subject = excluded.subject,
                   body = CASE WHEN @created THEN excluded.body ELSE sp_kb_ticket_text.body || @appended END,
                   tags = excluded.tags, status = excluded.status, updated_at_ms = excluded.updated_at_ms
            """, new
        {
            id = ticket.Id, accountId = ticket.AccountId, subject = ticket.Subject, initial, appended, created,
            tags = string.Join(' ', ticket.Tags), status = Status(ticket),
            now = ticket.UpdatedAt.ToUnixTimeMilliseconds(),
        }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Whether the change opened the ticket, and the text it adds (comments, status notes), each on a new line.</summary>
    private static (bool Created, string Appended) Text(TicketChange change)
    {
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

        return (created, appended.ToString());
    }

    private static string Status(TicketView ticket) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(ticket.Status.ToString());
}
