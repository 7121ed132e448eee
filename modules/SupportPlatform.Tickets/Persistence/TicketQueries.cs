using System.Text;
using Dapper;
using SupportPlatform.Core;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Persistence;

/// <summary>Filters of the ticket list; every one optional.</summary>
internal sealed record TicketFilter(
    IReadOnlyList<TicketStatus>? Statuses = null,
    IReadOnlyList<Priority>? Priorities = null,
    string? AccountId = null,
    string? AgentId = null,
    string? Group = null,
    TicketChannel? Channel = null,
    string? Tag = null,
    string? Text = null,
    string Sort = "updated");

/// <summary>Lists and queues read the relational model, never the grains.</summary>
internal sealed class TicketQueries(IDatabase database)
{

    public static readonly IReadOnlyDictionary<string, string> Sorts = new Dictionary<string, string>
    {
        // The live queue's order, by SLA urgency (time to breach): tickets already in breach first, then the nearest
        // breach due time of a running clock, then tickets with no running clock (paused, or no target left); priority
        // breaks ties.
        ["queue"] = "breached DESC, CASE WHEN next_due_at_ms IS NULL THEN 1 ELSE 0 END, next_due_at_ms, priority, created_at_ms, id",
        ["newest"] = "created_at_ms DESC, id DESC",
        ["oldest"] = "created_at_ms, id",
        ["updated"] = "updated_at_ms DESC, id DESC",
    };

    public async Task<ResultPage<TicketSummary>> ListAsync(TicketFilter filter, int page, int pageSize, CancellationToken cancellationToken)
    {
        var where = new StringBuilder("WHERE 1 = 1");
        var parameters = new DynamicParameters();
        if (filter.Statuses is { Count: > 0 })
        {
            where.Append(" AND status ").Append(database.InList("statuses"));
            parameters.Add("statuses", filter.Statuses.Select(s => TicketJson.Name(s)).ToArray());
        }

        if (filter.Priorities is { Count: > 0 })
        {
            where.Append(" AND priority ").Append(database.InList("priorities"));
            parameters.Add("priorities", filter.Priorities.Select(p => (int)p).ToArray());
        }

        Equal(where, parameters, "account_id", filter.AccountId);
        Equal(where, parameters, "agent_id", filter.AgentId);
        Equal(where, parameters, "group_name", filter.Group);
        if (filter.Channel is { } channel)
        {
            Equal(where, parameters, "channel", TicketJson.Name(channel));
        }

        if (!string.IsNullOrWhiteSpace(filter.Tag))
        {
            where.Append(" AND tags LIKE @tag ESCAPE '\\'");
            parameters.Add("tag", "%|" + Escape(filter.Tag.Trim().ToLowerInvariant()) + "|%");
        }

        if (!string.IsNullOrWhiteSpace(filter.Text))
        {
            // A substring of the subject, whatever its case. PostgreSQL serves this very condition from a trigram index
            // on lower(subject) (migration 0024).
            var text = filter.Text.Trim().ToLowerInvariant();
            where.Append(" AND lower(subject) LIKE @text ESCAPE '\\'");
            parameters.Add("text", "%" + Escape(text) + "%");
            if (database.Provider == DatabaseProvider.Sqlite && text.Length >= 3 && text.AsSpan().IndexOfAny('%', '_', '\\') < 0)
            {
                // SQLite: the FTS5 trigram table of the subjects (0024) narrows the rows to those containing the text; the
                // condition above still decides, so the result is the plain scan's. The table takes LIKE without ESCAPE
                // only, hence not for text with a wildcard character (rare; those scan), and indexes three characters
                // or more (shorter text would read the whole index and gain nothing).
                where.Append(" AND id IN (SELECT rowid FROM fts_sp_tickets_subject WHERE subject LIKE @subjectText)");
                parameters.Add("subjectText", "%" + text + "%");
            }
        }

        parameters.Add("limit", pageSize);
        parameters.Add("offset", (long)(page - 1) * pageSize);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM sp_tickets {where}", parameters, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT id, account_id, requester_id, channel, type, priority, status, subject, group_name, agent_id, tags, escalation_level,
                   merged_into, created_at_ms, updated_at_ms, first_response_at_ms, resolved_at_ms, next_due_at_ms, breached
            FROM sp_tickets {where}
            ORDER BY {Sorts[filter.Sort]}
            LIMIT @limit OFFSET @offset
            """,
            parameters,
            cancellationToken: cancellationToken));
        return new ResultPage<TicketSummary>(rows.Select(r => r.ToSummary()).ToList(), page, pageSize, total);
    }

    private static void Equal(StringBuilder where, DynamicParameters parameters, string column, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            where.Append(" AND ").Append(column).Append(" = @").Append(column);
            parameters.Add(column, value.Trim());
        }
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    // A class with settable properties, not a positional record: Dapper converts column types (int vs bigint per back-end) only for properties.
    private sealed class Row
    {
        public long Id { get; set; }
        public string Account_Id { get; set; } = "";
        public string Requester_Id { get; set; } = "";
        public string Channel { get; set; } = "";
        public string? Type { get; set; }
        public long Priority { get; set; }
        public string Status { get; set; } = "";
        public string Subject { get; set; } = "";
        public string? Group_Name { get; set; }
        public string? Agent_Id { get; set; }
        public string Tags { get; set; } = "";
        public long Escalation_Level { get; set; }
        public long? Merged_Into { get; set; }
        public long Created_At_Ms { get; set; }
        public long Updated_At_Ms { get; set; }
        public long? First_Response_At_Ms { get; set; }
        public long? Resolved_At_Ms { get; set; }
        public long? Next_Due_At_Ms { get; set; }
        public long Breached { get; set; }

        public TicketSummary ToSummary() => new(
            Id, Account_Id, Requester_Id, Parse<TicketChannel>(Channel), Type, (Priority)Priority, Parse<TicketStatus>(Status), Subject,
            Group_Name, Agent_Id, Tags.Split('|', StringSplitOptions.RemoveEmptyEntries), (int)Escalation_Level, Merged_Into,
            DateTimeOffset.FromUnixTimeMilliseconds(Created_At_Ms), DateTimeOffset.FromUnixTimeMilliseconds(Updated_At_Ms),
            Time(First_Response_At_Ms), Time(Resolved_At_Ms), Time(Next_Due_At_Ms), Breached != 0);

        private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

        private static T Parse<T>(string kebab)
            where T : struct, Enum => Enum.Parse<T>(kebab.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
    }
}
