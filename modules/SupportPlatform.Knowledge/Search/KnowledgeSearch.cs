using System.Data.Common;
using System.Net;
using Dapper;
using SupportPlatform.Knowledge.Articles;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Knowledge.Search;

/// <summary>An article found by a search, with a highlighted snippet (HTML: escaped text with &lt;mark&gt; around matches).</summary>
internal sealed record ArticleHit(long Id, string Title, string? Category, IReadOnlyList<string> Tags, ArticleVisibility Visibility, ArticleState State, double Score, string Snippet);

/// <summary>A ticket found by a search.</summary>
internal sealed record TicketHit(long TicketId, string AccountId, string Subject, string Status, double Score, string Snippet);

/// <summary>
/// Search results. <see cref="Fuzzy"/> is true when the words as typed matched nothing and the results come from the
/// spelling fallback; <see cref="Corrected"/> then shows the words searched instead where the back-end knows them.
/// </summary>
internal sealed record SearchResult<T>(string Query, IReadOnlyList<T> Items, bool Fuzzy, string? Corrected)
{
    /// <summary>
    /// Ticket search on PostgreSQL, when only the newest matches were ranked: the results are the best of this many
    /// newest matches, and older tickets may match too (add words to narrow the search). Null when every match was ranked.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? RankedNewest { get; init; }
}

/// <summary>
/// Full-text search over articles (filtered to what the caller may read) and tickets (staff), on both back-ends:
/// PostgreSQL text search (english configuration: stemming, stop words; stored weighted tsvectors in fts_* tables with
/// GIN indexes; ts_rank with title above tags above body;
/// ts_headline snippets) and SQLite FTS5 (porter unicode61 tokenizer; bm25 with the same column weights; snippet()).
/// When a search finds nothing, a typo fallback runs: each unknown word is replaced by the closest word of the articles'
/// vocabulary (edit distance 1, or 2 for words of 5+ letters) and the search runs again, saying what it searched.
/// </summary>
internal sealed class KnowledgeSearch(IDatabase database, TimeProvider time)
{
    private const string Open = "\u27E6";
    private const string Close = "\u27E7";

    /// <summary>About how many matches a PostgreSQL ticket search ranks at most (the newest): see <see cref="PostgresTicketsAsync"/>.</summary>
    internal int RankedMatches { get; init; } = 5_000;

    /// <summary>How many of the newest tickets a PostgreSQL ticket search looks at first.</summary>
    internal int ProbeTickets { get; init; } = 10_000;

    private const string HeadlineOptions = $"StartSel={Open}, StopSel={Close}, MaxWords=28, MinWords=10, MaxFragments=2, FragmentDelimiter=\" … \"";

    public async Task<SearchResult<ArticleHit>> ArticlesAsync(
        SearchQuery query, Audience audience, ArticleState? state, int limit, string? rawText, CancellationToken cancellationToken)
    {
        if (query.IsEmpty)
        {
            return new SearchResult<ArticleHit>(rawText ?? "", [], false, null);
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var filter = Filter(audience, state);
        var args = new DynamicParameters(new { audienceAccount = audience.AccountId, state = state is { } s ? ArticleRules.Name(s) : null, limit });
        var hits = database.Provider == DatabaseProvider.PostgreSql
            ? await PostgresArticlesAsync(connection, query, filter, args, cancellationToken)
            : await SqliteArticlesAsync(connection, query, filter, args, cancellationToken);
        if (hits.Count > 0 || query.PlainWords.All(w => w.Length < 3))
        {
            return new SearchResult<ArticleHit>(rawText ?? "", hits, false, null);
        }

        var corrected = await CorrectAsync(connection, database.Provider, query, cancellationToken);
        if (corrected is null)
        {
            return new SearchResult<ArticleHit>(rawText ?? "", [], false, null);
        }

        var again = database.Provider == DatabaseProvider.PostgreSql
            ? await PostgresArticlesAsync(connection, corrected, filter, args, cancellationToken)
            : await SqliteArticlesAsync(connection, corrected, filter, args, cancellationToken);
        return new SearchResult<ArticleHit>(rawText ?? "", again, again.Count > 0, again.Count > 0 ? string.Join(' ', corrected.Words) : null);
    }

    public async Task<SearchResult<TicketHit>> TicketsAsync(SearchQuery query, string? accountId, int limit, string? rawText, CancellationToken cancellationToken)
    {
        if (query.IsEmpty)
        {
            return new SearchResult<TicketHit>(rawText ?? "", [], false, null);
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var args = new DynamicParameters(new { accountId, limit });
        var accountFilter = accountId is null ? "" : " AND t.account_id = @accountId";
        IEnumerable<TicketRow> rows;
        int? rankedNewest = null;
        if (database.Provider == DatabaseProvider.PostgreSql)
        {
            (rows, rankedNewest) = await PostgresTicketsAsync(connection, query, accountId, args, cancellationToken);
        }
        else
        {
            args.Add("match", query.Fts5Match());
            rows = await connection.QueryAsync<TicketRow>(new CommandDefinition($"""
                SELECT t.ticket_id AS TicketId, t.account_id AS AccountId, t.subject AS Subject, t.status AS Status,
                       -bm25(fts_sp_kb_ticket_text, 10.0, 1.0) AS Score,
                       snippet(fts_sp_kb_ticket_text, 1, '{Open}', '{Close}', ' … ', 24) AS Snippet
                  FROM fts_sp_kb_ticket_text f JOIN sp_kb_ticket_text t ON t.ticket_id = f.rowid
                 WHERE fts_sp_kb_ticket_text MATCH @match{accountFilter}
                 ORDER BY bm25(fts_sp_kb_ticket_text, 10.0, 1.0), t.ticket_id DESC
                 LIMIT @limit
                """, args, cancellationToken: cancellationToken));
        }

        return new SearchResult<TicketHit>(rawText ?? "",
            rows.Select(r => new TicketHit(r.TicketId, r.AccountId, r.Subject, r.Status, r.Score, Highlight(r.Snippet))).ToList(), false, null)
        {
            RankedNewest = rankedNewest,
        };
    }

    /// <summary>
    /// Ticket search on PostgreSQL. Ranking reads the document of every ticket it ranks, and at a million tickets a
    /// common word matches most of them: ranking them all took 400 ms and more (and counting them alone 360 ms). So the
    /// search ranks at most about <see cref="RankedMatches"/> of the newest matches. It first ranks the matches among
    /// the newest <see cref="ProbeTickets"/> tickets; when they are fewer than half of <see cref="RankedMatches"/>, the
    /// density found there sizes a second window expected to hold <see cref="RankedMatches"/>, or every ticket when
    /// that window would reach the oldest. The result says how many matches were ranked when not all were
    /// (<see cref="SearchResult{T}.RankedNewest"/>). Snippets are made for the page's tickets only.
    /// </summary>
    private async Task<(IEnumerable<TicketRow> Rows, int? RankedNewest)> PostgresTicketsAsync(
        DbConnection connection, SearchQuery query, string? accountId, DynamicParameters args, CancellationToken cancellationToken)
    {
        var tsQuery = PostgresQuery(query, args);
        var (oldest, newest) = await connection.QuerySingleAsync<(long?, long?)>(new CommandDefinition(
            "SELECT min(ticket_id), max(ticket_id) FROM fts_sp_kb_ticket_text", cancellationToken: cancellationToken));
        if (oldest is null || newest is null)
        {
            return ([], null);
        }

        var join = accountId is null ? "" : " JOIN sp_kb_ticket_text t ON t.ticket_id = f.ticket_id AND t.account_id = @accountId";

        // The matches after @from (all when null), ranked; Matches is how many were ranked. The inner query returns
        // narrow rows so the count does not hold the documents.
        async Task<(List<RankRow> Top, int Matches)> RankAsync(long? from, DbTransaction? transaction)
        {
            args.Add("from", from);
            var window = from is null ? "" : " AND f.ticket_id > @from";
            var top = (await connection.QueryAsync<RankRow>(new CommandDefinition($"""
                SELECT s.TicketId, s.Score, count(*) OVER () AS Matches
                  FROM (SELECT f.ticket_id AS TicketId, ts_rank(f.document, q.query, 1) AS Score
                          FROM fts_sp_kb_ticket_text f{join}, (SELECT {tsQuery} AS query) q
                         WHERE f.document @@ q.query{window}) s
                 ORDER BY s.Score DESC, s.TicketId DESC
                 LIMIT @limit
                """, args, transaction, cancellationToken: cancellationToken))).ToList();
            return (top, top.Count == 0 ? 0 : (int)top[0].Matches);
        }

        List<RankRow> ranked;
        int? rankedNewest = null;
        var probeFrom = newest.Value - ProbeTickets;
        if (probeFrom < oldest.Value)
        {
            (ranked, _) = await RankAsync(null, null);
        }
        else
        {
            // The probe: a range of the primary key, read in order whatever the words.
            (ranked, var matches) = await RankAsync(probeFrom, null);
            rankedNewest = matches;
            if (matches < RankedMatches / 2)
            {
                var span = (long)Math.Ceiling((double)ProbeTickets * RankedMatches / Math.Max(matches, 1));
                var from = newest.Value - span < oldest.Value ? (long?)null : newest.Value - span;
                // Matches spread thin over a wide window: the planner would read the whole range along the primary key
                // and drop most of it; bitmaps of the word index (and of the range) read only the matches.
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition("SET LOCAL enable_indexscan = off", transaction: transaction, cancellationToken: cancellationToken));
                (ranked, matches) = await RankAsync(from, transaction);
                await transaction.CommitAsync(cancellationToken);
                rankedNewest = from is null ? null : matches;
            }
        }

        if (ranked.Count == 0)
        {
            return ([], rankedNewest);
        }

        args.Add("ids", ranked.Select(r => r.TicketId).ToArray());
        var details = (await connection.QueryAsync<TicketRow>(new CommandDefinition($"""
            SELECT t.ticket_id AS TicketId, t.account_id AS AccountId, t.subject AS Subject, t.status AS Status,
                   ts_headline('english'::regconfig, t.body, q.query, '{HeadlineOptions}') AS Snippet
              FROM sp_kb_ticket_text t, (SELECT {tsQuery} AS query) q
             WHERE t.ticket_id = ANY(@ids)
            """, args, cancellationToken: cancellationToken))).ToDictionary(r => r.TicketId);
        var rows = new List<TicketRow>(ranked.Count);
        foreach (var rank in ranked)
        {
            if (details.TryGetValue(rank.TicketId, out var row))
            {
                row.Score = rank.Score;
                rows.Add(row);
            }
        }

        return (rows, rankedNewest);
    }

    /// <summary>Remembers a search that found nothing (the "topics with no article" report reads them).</summary>
    public async Task RecordMissAsync(string text, string source, CancellationToken cancellationToken)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sp_kb_missed_searches (query, source, at_ms) VALUES (@query, @source, @now)",
            new { query = text.Length > 200 ? text[..200] : text, source, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    private static string Filter(Audience audience, ArticleState? state) =>
        ArticleStore.VisibleTo(audience) + (state is null ? (audience.IsStaff ? " AND a.state <> 'archived'" : "") : " AND a.state = @state");

    private static async Task<List<ArticleHit>> PostgresArticlesAsync(DbConnection connection, SearchQuery query, string filter, DynamicParameters args, CancellationToken cancellationToken)
    {
        var tsQuery = PostgresQuery(query, args);
        var rows = await connection.QueryAsync<HitRow>(new CommandDefinition($"""
            SELECT r.Id, r.Title, r.Category, r.Tags, r.Visibility, r.State, r.Score,
                   ts_headline('english'::regconfig, r.body, r.query, '{HeadlineOptions}') AS Snippet
              FROM (SELECT a.id AS Id, a.title AS Title, a.category AS Category, a.tags AS Tags, a.visibility AS Visibility, a.state AS State,
                           a.body, q.query, ts_rank(f.document, q.query, 1) AS Score
                      FROM fts_sp_kb_articles f JOIN sp_kb_articles a ON a.id = f.article_id, (SELECT {tsQuery} AS query) q
                     WHERE f.document @@ q.query AND {filter}
                     ORDER BY Score DESC, a.id
                     LIMIT @limit) r
             ORDER BY r.Score DESC, r.Id
            """, args, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToHit()).ToList();
    }

    private static async Task<List<ArticleHit>> SqliteArticlesAsync(DbConnection connection, SearchQuery query, string filter, DynamicParameters args, CancellationToken cancellationToken)
    {
        if (query.Fts5Match() is not { } match)
        {
            return [];
        }

        args.Add("match", match);
        var rows = await connection.QueryAsync<HitRow>(new CommandDefinition($"""
            SELECT a.id AS Id, a.title AS Title, a.category AS Category, a.tags AS Tags, a.visibility AS Visibility, a.state AS State,
                   -bm25(fts_sp_kb_articles, 10.0, 5.0, 3.0, 1.0) AS Score,
                   snippet(fts_sp_kb_articles, 3, '{Open}', '{Close}', ' … ', 24) AS Snippet
              FROM fts_sp_kb_articles f JOIN sp_kb_articles a ON a.id = f.rowid
             WHERE fts_sp_kb_articles MATCH @match AND {filter}
             ORDER BY bm25(fts_sp_kb_articles, 10.0, 5.0, 3.0, 1.0), a.id
             LIMIT @limit
            """, args, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToHit()).ToList();
    }

    /// <summary>The tsquery expression: websearch_to_tsquery for words, phrases and exclusions, and-ed (or or-ed) with the prefix.</summary>
    private static string PostgresQuery(SearchQuery query, DynamicParameters args)
    {
        var web = query.WebSearchText();
        var prefix = query.PrefixTsQuery();
        args.Add("web", web);
        args.Add("prefix", prefix);
        var join = query.Mode == MatchMode.Any ? "||" : "&&";
        return (web.Length > 0, prefix is not null) switch
        {
            (true, true) => $"(websearch_to_tsquery('english'::regconfig, @web) {join} to_tsquery('english'::regconfig, @prefix))",
            (false, true) => "to_tsquery('english'::regconfig, @prefix)",
            _ => "websearch_to_tsquery('english'::regconfig, @web)",
        };
    }

    /// <summary>
    /// Spelling fallback: every word not in the articles' vocabulary (unstemmed words: fts_sp_kb_words_vocab on SQLite,
    /// the table of the same name on PostgreSQL) is replaced by the most frequent vocabulary word at the smallest edit distance (at
    /// most 1; 2 for words of five letters or more). Null when no word could be corrected. On PostgreSQL the candidates
    /// are the vocabulary words sharing enough trigrams with the word (its trigram index), on SQLite every word of a
    /// close length; the edit distance decides in both.
    /// </summary>
    private static async Task<SearchQuery?> CorrectAsync(DbConnection connection, DatabaseProvider provider, SearchQuery query, CancellationToken cancellationToken)
    {
        var words = query.PlainWords.ToList();
        var changed = false;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            var allowed = word.Length >= 5 ? 2 : 1;
            var lengths = new { word, min = word.Length - allowed, max = word.Length + allowed };
            IEnumerable<(string Term, long Docs)> candidates;
            if (provider == DatabaseProvider.PostgreSql)
            {
                // A typo of two letters in a short word shares few trigrams with it: a lower threshold than pg_trgm's
                // default (0.3) for this transaction only, still served by the index.
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(
                    "SELECT set_config('pg_trgm.similarity_threshold', '0.2', true)", transaction: transaction, cancellationToken: cancellationToken));
                candidates = await connection.QueryAsync<(string Term, long Docs)>(new CommandDefinition("""
                    SELECT term, doc::bigint FROM fts_sp_kb_words_vocab WHERE term = @word
                    UNION ALL
                    SELECT c.term, c.doc FROM (SELECT term, doc::bigint AS doc FROM fts_sp_kb_words_vocab
                                                 WHERE term % @word AND length(term) BETWEEN @min AND @max
                                                 ORDER BY similarity(term, @word) DESC, doc DESC LIMIT 100) c
                    """, lengths, transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT COUNT(*) FROM fts_sp_kb_words_vocab WHERE term = @word", new { word }, cancellationToken: cancellationToken)) > 0)
                {
                    continue;
                }

                candidates = await connection.QueryAsync<(string Term, long Docs)>(new CommandDefinition(
                    "SELECT term, doc FROM fts_sp_kb_words_vocab WHERE length(term) BETWEEN @min AND @max", lengths, cancellationToken: cancellationToken));
            }

            var list = candidates.ToList();
            if (list.Any(c => c.Term == word))
            {
                continue; // A known word: nothing to correct.
            }

            var best = list
                .Select(c => (c.Term, c.Docs, Distance: EditDistance.Compute(word, c.Term, allowed)))
                .Where(c => c.Distance <= allowed)
                .OrderBy(c => c.Distance).ThenByDescending(c => c.Docs).ThenBy(c => c.Term, StringComparer.Ordinal)
                .FirstOrDefault();
            if (best.Term is not null)
            {
                words[i] = best.Term;
                changed = true;
            }
        }

        return changed ? query.WithWords(words) : null;
    }

    /// <summary>Escapes the snippet's text and turns the match markers into &lt;mark&gt; elements.</summary>
    private static string Highlight(string? snippet) =>
        WebUtility.HtmlEncode(snippet ?? "").Replace(Open, "<mark>", StringComparison.Ordinal).Replace(Close, "</mark>", StringComparison.Ordinal);

    private sealed class HitRow
    {
        public long Id { get; set; }
        public string Title { get; set; } = "";
        public string Category { get; set; } = "";
        public string Tags { get; set; } = "";
        public string Visibility { get; set; } = "";
        public string State { get; set; } = "";
        public double Score { get; set; }
        public string? Snippet { get; set; }

        public ArticleHit ToHit() => new(
            Id, Title, Category.Length == 0 ? null : Category, Tags.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            ArticleRules.Parse<ArticleVisibility>(Visibility), ArticleRules.Parse<ArticleState>(State), Math.Round(Score, 6),
            Highlight(Snippet));
    }

    private sealed class RankRow
    {
        public long TicketId { get; set; }
        public double Score { get; set; }
        public long Matches { get; set; }
    }

    private sealed class TicketRow
    {
        public long TicketId { get; set; }
        public string AccountId { get; set; } = "";
        public string Subject { get; set; } = "";
        public string Status { get; set; } = "";
        public double Score { get; set; }
        public string? Snippet { get; set; }
    }
}

/// <summary>Levenshtein distance with an early exit once it exceeds a bound.</summary>
internal static class EditDistance
{
    public static int Compute(string a, string b, int bound)
    {
        if (Math.Abs(a.Length - b.Length) > bound)
        {
            return bound + 1;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            var rowMin = current[0];
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                rowMin = Math.Min(rowMin, current[j]);
            }

            if (rowMin > bound)
            {
                return bound + 1;
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
