using System.Data.Common;
using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Knowledge.Articles;

/// <summary>
/// Articles, their versions and their links, in the read model. Every change writes the article row and its new
/// version (or link, vote, deflection) in one transaction; the article's version number guards against two editors
/// overwriting each other.
/// </summary>
internal sealed class ArticleStore(IDatabase database, MarkdownRenderer markdown, TimeProvider time)
{
    internal const string Columns = """
        id AS Id, title AS Title, body AS Body, body_html AS BodyHtml, tags AS Tags, category AS Category,
        visibility AS Visibility, account_id AS AccountId, state AS State, author_id AS AuthorId, author_name AS AuthorName,
        reviewer_id AS ReviewerId, reviewer_name AS ReviewerName, version AS Version, created_at_ms AS CreatedAtMs,
        updated_at_ms AS UpdatedAtMs, published_at_ms AS PublishedAtMs
        """;

    /// <summary>The SQL condition (on sp_kb_articles, alias a) of the articles <paramref name="audience"/> may read.</summary>
    internal static string VisibleTo(Audience audience, string alias = "a") => audience.IsStaff
        ? "1 = 1"
        : $"{alias}.state = 'published' AND ({alias}.visibility = 'public' OR ({alias}.visibility = 'account' AND {alias}.account_id = @audienceAccount))";

    public async Task<ArticleView> CreateAsync(ArticleDraft draft, Editor editor, long? writtenFromTicket, CancellationToken cancellationToken)
    {
        var (title, body, tags, category, visibility, accountId) = ArticleRules.Normalize(draft, null);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO sp_kb_articles (title, body, body_html, tags, category, visibility, account_id, state, author_id, author_name,
                                        version, created_at_ms, updated_at_ms)
            VALUES (@title, @body, @html, @tags, @category, @visibility, @accountId, 'draft', @editorId, @editorName, 1, @now, @now)
            RETURNING id
            """, new
        {
            title, body, html = markdown.Render(body), tags = string.Join(' ', tags), category, visibility = ArticleRules.Name(visibility),
            accountId, editorId = editor.Id, editorName = editor.Name, now,
        }, transaction, cancellationToken: cancellationToken));
        await InsertVersionAsync(connection, transaction, id, 1, title, body, tags, category, visibility, accountId, editor, now, cancellationToken);
        if (writtenFromTicket is { } ticket)
        {
            await LinkAsync(connection, transaction, id, ticket, TicketRelation.WrittenFrom, editor.Id, now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(id, Audience.Staff, cancellationToken))!;
    }

    public async Task<ArticleView> UpdateAsync(long id, ArticleDraft draft, int? expectedVersion, Editor editor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await ReadRowAsync(connection, transaction, id, cancellationToken) ?? throw KnowledgeException.NotFound(id);
        var state = ArticleRules.Parse<ArticleState>(row.State);
        if (state is not (ArticleState.Draft or ArticleState.InReview))
        {
            throw KnowledgeException.Conflict("article-not-editable",
                $"Article {id} is {row.State}; only drafts and articles in review are edited. Move it back to draft first (POST /api/kb/articles/{id}/state with {{\"to\":\"draft\"}}).");
        }

        if (expectedVersion is { } expected && expected != row.Version)
        {
            throw KnowledgeException.Conflict("version-conflict", $"Article {id} is at version {row.Version}, not {expected}: someone else changed it. Reload and edit again.");
        }

        var (title, body, tags, category, visibility, accountId) = ArticleRules.Normalize(draft, row.ToVersion());
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var version = (int)row.Version + 1;
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE sp_kb_articles SET title = @title, body = @body, body_html = @html, tags = @tags, category = @category,
                   visibility = @visibility, account_id = @accountId, version = @version, updated_at_ms = @now
             WHERE id = @id AND version = @previous
            """, new
        {
            id, title, body, html = markdown.Render(body), tags = string.Join(' ', tags), category, visibility = ArticleRules.Name(visibility),
            accountId, version, previous = row.Version, now,
        }, transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            throw KnowledgeException.Conflict("version-conflict", $"Article {id} was changed by someone else meanwhile. Reload and edit again.");
        }

        await InsertVersionAsync(connection, transaction, id, version, title, body, tags, category, visibility, accountId, editor, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(id, Audience.Staff, cancellationToken))!;
    }

    public async Task<ArticleView> MoveAsync(long id, ArticleState to, Editor editor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await ReadRowAsync(connection, transaction, id, cancellationToken) ?? throw KnowledgeException.NotFound(id);
        ArticleRules.CheckMove(id, ArticleRules.Parse<ArticleState>(row.State), to, row.AuthorId, editor);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var published = to == ArticleState.Published;
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE sp_kb_articles SET state = @to, updated_at_ms = @now,
                   reviewer_id = CASE WHEN @published THEN @editorId ELSE reviewer_id END,
                   reviewer_name = CASE WHEN @published THEN @editorName ELSE reviewer_name END,
                   published_at_ms = CASE WHEN @published THEN @now ELSE published_at_ms END
             WHERE id = @id AND state = @from
            """, new { id, to = ArticleRules.Name(to), from = row.State, now, published, editorId = editor.Id, editorName = editor.Name },
            transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            throw KnowledgeException.Conflict("version-conflict", $"Article {id} was changed by someone else meanwhile. Reload and try again.");
        }

        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(id, Audience.Staff, cancellationToken))!;
    }

    public async Task<ArticleView?> GetAsync(long id, Audience audience, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ArticleRow>(new CommandDefinition(
            $"SELECT {Columns} FROM sp_kb_articles a WHERE a.id = @id AND {VisibleTo(audience)}",
            new { id, audienceAccount = audience.AccountId }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var counts = await connection.QuerySingleAsync<CountsRow>(new CommandDefinition("""
            SELECT (SELECT COUNT(*) FROM sp_kb_feedback WHERE article_id = @id AND helpful = 1) AS Helpful,
                   (SELECT COUNT(*) FROM sp_kb_feedback WHERE article_id = @id AND helpful = 0) AS NotHelpful,
                   (SELECT COUNT(*) FROM sp_kb_article_tickets WHERE article_id = @id AND relation = 'used-on') AS UsedOn,
                   (SELECT COUNT(*) FROM sp_kb_deflections WHERE article_id = @id) AS Deflections
            """, new { id }, cancellationToken: cancellationToken));
        // Clients do not see which tickets (possibly of other accounts) an article was written from or used on.
        var links = audience.IsStaff
            ? (await connection.QueryAsync<LinkRow>(new CommandDefinition(
                "SELECT ticket_id AS TicketId, relation AS Relation, actor_id AS ActorId, at_ms AS AtMs FROM sp_kb_article_tickets WHERE article_id = @id ORDER BY at_ms, ticket_id",
                new { id }, cancellationToken: cancellationToken)))
                .Select(l => new ArticleTicketLink(l.TicketId, ArticleRules.Parse<TicketRelation>(l.Relation), l.ActorId, DateTimeOffset.FromUnixTimeMilliseconds(l.AtMs)))
                .ToList()
            : [];
        return row.ToView(new ArticleCounts((int)counts.Helpful, (int)counts.NotHelpful, (int)counts.UsedOn, (int)counts.Deflections), links, audience);
    }

    public async Task<(IReadOnlyList<ArticleSummary> Items, int Total)> ListAsync(
        Audience audience, ArticleState? state, string? tag, string? category, int page, int pageSize, CancellationToken cancellationToken)
    {
        var where = new List<string> { VisibleTo(audience) };
        if (state is { } s)
        {
            where.Add("a.state = @state");
        }

        if (!string.IsNullOrWhiteSpace(tag))
        {
            where.Add("(' ' || a.tags || ' ') LIKE @tagLike");
        }

        if (!string.IsNullOrWhiteSpace(category))
        {
            where.Add("a.category = @category");
        }

        var args = new
        {
            audienceAccount = audience.AccountId, state = state is { } st ? ArticleRules.Name(st) : null,
            tagLike = "% " + tag?.Trim().ToLowerInvariant() + " %", category = category?.Trim(), skip = (page - 1) * pageSize, take = pageSize,
        };
        var filter = string.Join(" AND ", where);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM sp_kb_articles a WHERE {filter}", args, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<ArticleRow>(new CommandDefinition(
            $"SELECT {Columns} FROM sp_kb_articles a WHERE {filter} ORDER BY a.updated_at_ms DESC, a.id DESC LIMIT @take OFFSET @skip", args, cancellationToken: cancellationToken));
        return (rows.Select(r => r.ToSummary()).ToList(), (int)total);
    }

    public async Task<IReadOnlyList<ArticleVersion>> VersionsAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} FROM sp_kb_article_versions WHERE article_id = @id ORDER BY version", new { id }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToVersion()).ToList();
    }

    public async Task LinkTicketAsync(long id, long ticketId, TicketRelation relation, string actorId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LinkAsync(connection, transaction, id, ticketId, relation, actorId, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<(long ArticleId, string Title, TicketRelation Relation)>> LinksOfTicketAsync(long ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long, string, string)>(new CommandDefinition("""
            SELECT t.article_id, a.title, t.relation FROM sp_kb_article_tickets t JOIN sp_kb_articles a ON a.id = t.article_id
             WHERE t.ticket_id = @ticketId ORDER BY t.at_ms
            """, new { ticketId }, cancellationToken: cancellationToken));
        return rows.Select(r => (r.Item1, r.Item2, ArticleRules.Parse<TicketRelation>(r.Item3))).ToList();
    }

    public async Task RateAsync(long id, string userId, bool helpful, long? ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sp_kb_feedback (article_id, user_id, helpful, ticket_id, at_ms) VALUES (@id, @userId, @helpful, @ticketId, @now)
            ON CONFLICT (article_id, user_id) DO UPDATE SET helpful = excluded.helpful, ticket_id = excluded.ticket_id, at_ms = excluded.at_ms
            """, new { id, userId, helpful = helpful ? 1 : 0, ticketId, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    public async Task DeflectAsync(long id, string? accountId, string userId, string subject, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sp_kb_deflections (article_id, account_id, user_id, subject, at_ms) VALUES (@id, @accountId, @userId, @subject, @now)
            """, new { id, accountId, userId, subject, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    private const string VersionColumns = """
        article_id AS ArticleId, version AS Version, title AS Title, body AS Body, tags AS Tags, category AS Category,
        visibility AS Visibility, account_id AS AccountId, editor_id AS EditorId, editor_name AS EditorName, created_at_ms AS CreatedAtMs
        """;

    private static Task<ArticleRow?> ReadRowAsync(DbConnection connection, DbTransaction transaction, long id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ArticleRow>(new CommandDefinition(
            $"SELECT {Columns} FROM sp_kb_articles a WHERE a.id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    private static Task InsertVersionAsync(
        DbConnection connection, DbTransaction transaction, long id, int version, string title, string body, IReadOnlyList<string> tags,
        string category, ArticleVisibility visibility, string? accountId, Editor editor, long now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sp_kb_article_versions (article_id, version, title, body, tags, category, visibility, account_id, editor_id, editor_name, created_at_ms)
            VALUES (@id, @version, @title, @body, @tags, @category, @visibility, @accountId, @editorId, @editorName, @now)
            """, new
        {
            id, version, title, body, tags = string.Join(' ', tags), category, visibility = ArticleRules.Name(visibility), accountId,
            editorId = editor.Id, editorName = editor.Name, now,
        }, transaction, cancellationToken: cancellationToken));

    private static Task LinkAsync(
        DbConnection connection, DbTransaction transaction, long id, long ticketId, TicketRelation relation, string actorId, long now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sp_kb_article_tickets (article_id, ticket_id, relation, actor_id, at_ms) VALUES (@id, @ticketId, @relation, @actorId, @now)
            ON CONFLICT (article_id, ticket_id, relation) DO NOTHING
            """, new { id, ticketId, relation = ArticleRules.Name(relation), actorId, now }, transaction, cancellationToken: cancellationToken));

    private static IReadOnlyList<string> SplitTags(string tags) => tags.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private sealed class CountsRow
    {
        public long Helpful { get; set; }
        public long NotHelpful { get; set; }
        public long UsedOn { get; set; }
        public long Deflections { get; set; }
    }

    private sealed class LinkRow
    {
        public long TicketId { get; set; }
        public string Relation { get; set; } = "";
        public string ActorId { get; set; } = "";
        public long AtMs { get; set; }
    }

    internal sealed class ArticleRow
    {
        public long Id { get; set; }
        public string Title { get; set; } = "";
        public string Body { get; set; } = "";
        public string BodyHtml { get; set; } = "";
        public string Tags { get; set; } = "";
        public string Category { get; set; } = "";
        public string Visibility { get; set; } = "";
        public string? AccountId { get; set; }
        public string State { get; set; } = "";
        public string AuthorId { get; set; } = "";
        public string AuthorName { get; set; } = "";
        public string? ReviewerId { get; set; }
        public string? ReviewerName { get; set; }
        public long Version { get; set; }
        public long CreatedAtMs { get; set; }
        public long UpdatedAtMs { get; set; }
        public long? PublishedAtMs { get; set; }

        public ArticleVersion ToVersion() => new(
            Id, (int)Version, Title, Body, SplitTags(Tags), Category, ArticleRules.Parse<ArticleVisibility>(Visibility), AccountId, AuthorId, AuthorName, At(UpdatedAtMs));

        public ArticleView ToView(ArticleCounts counts, IReadOnlyList<ArticleTicketLink> links, Audience audience) => new(
            Id, Title, Body, BodyHtml, SplitTags(Tags), Category.Length == 0 ? null : Category, ArticleRules.Parse<ArticleVisibility>(Visibility), AccountId,
            ArticleRules.Parse<ArticleState>(State), AuthorId, AuthorName,
            audience.IsStaff ? ReviewerId : null, ReviewerName, (int)Version, At(CreatedAtMs), At(UpdatedAtMs),
            PublishedAtMs is { } p ? At(p) : null, counts, links);

        public ArticleSummary ToSummary() => new(
            Id, Title, SplitTags(Tags), Category.Length == 0 ? null : Category, ArticleRules.Parse<ArticleVisibility>(Visibility), AccountId,
            ArticleRules.Parse<ArticleState>(State), AuthorName, (int)Version, At(UpdatedAtMs));
    }

    private sealed class VersionRow
    {
        public long ArticleId { get; set; }
        public long Version { get; set; }
        public string Title { get; set; } = "";
        public string Body { get; set; } = "";
        public string Tags { get; set; } = "";
        public string Category { get; set; } = "";
        public string Visibility { get; set; } = "";
        public string? AccountId { get; set; }
        public string EditorId { get; set; } = "";
        public string EditorName { get; set; } = "";
        public long CreatedAtMs { get; set; }

        public ArticleVersion ToVersion() => new(
            ArticleId, (int)Version, Title, Body, SplitTags(Tags), Category.Length == 0 ? null : Category, ArticleRules.Parse<ArticleVisibility>(Visibility),
            AccountId, EditorId, EditorName, At(CreatedAtMs));
    }
}
