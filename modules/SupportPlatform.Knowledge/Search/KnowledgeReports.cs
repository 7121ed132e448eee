using Dapper;
using SupportPlatform.Knowledge.Articles;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Knowledge.Search;

/// <summary>An article with how much it was used in a period.</summary>
internal sealed record ArticleUsage(long Id, string Title, ArticleState State, int UsedOn, int Deflections, int Helpful, int NotHelpful);

/// <summary>A topic tickets are about (a tag or a word of their subjects) that no published article covers.</summary>
internal sealed record TopicGap(string Topic, string Kind, int Tickets);

/// <summary>A search that found nothing, how often and when last.</summary>
internal sealed record MissedSearch(string Query, int Count, DateTimeOffset LastAt);

/// <summary>What the knowledge base lacks: ticket topics and searches with no article.</summary>
internal sealed record GapReport(DateTimeOffset Since, int TicketsRead, IReadOnlyList<TopicGap> Topics, IReadOnlyList<MissedSearch> Searches);

/// <summary>The knowledge base's reports: most used articles, topics with no article.</summary>
internal sealed class KnowledgeReports(IDatabase database, KnowledgeSearch search, TimeProvider time)
{
    private const int MaxTicketsRead = 20_000;

    public async Task<IReadOnlyList<ArticleUsage>> MostUsedAsync(int days, int limit, CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow().AddDays(-days).ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string Title, string State, long UsedOn, long Deflections, long Helpful, long NotHelpful)>(new CommandDefinition("""
            SELECT id, title, state, used_on, deflections, helpful, not_helpful FROM (
                SELECT a.id, a.title, a.state,
                       (SELECT COUNT(*) FROM sp_kb_article_tickets t WHERE t.article_id = a.id AND t.relation = 'used-on' AND t.at_ms >= @since) AS used_on,
                       (SELECT COUNT(*) FROM sp_kb_deflections d WHERE d.article_id = a.id AND d.at_ms >= @since) AS deflections,
                       (SELECT COUNT(*) FROM sp_kb_feedback f WHERE f.article_id = a.id AND f.helpful = 1 AND f.at_ms >= @since) AS helpful,
                       (SELECT COUNT(*) FROM sp_kb_feedback f WHERE f.article_id = a.id AND f.helpful = 0 AND f.at_ms >= @since) AS not_helpful
                  FROM sp_kb_articles a) u
             WHERE used_on + deflections + helpful + not_helpful > 0
             ORDER BY used_on + deflections DESC, helpful - not_helpful DESC, id
             LIMIT @limit
            """, new { since, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new ArticleUsage(r.Id, r.Title, ArticleRules.Parse<ArticleState>(r.State), (int)r.UsedOn, (int)r.Deflections, (int)r.Helpful, (int)r.NotHelpful)).ToList();
    }

    public async Task<GapReport> GapsAsync(int days, int minTickets, int limit, CancellationToken cancellationToken)
    {
        var sinceAt = time.GetUtcNow().AddDays(-days);
        var since = sinceAt.ToUnixTimeMilliseconds();
        List<(string Subject, string Tags)> tickets;
        List<(string Query, long Count, long LastAt)> misses;
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            tickets = (await connection.QueryAsync<(string, string)>(new CommandDefinition(
                "SELECT subject, tags FROM sp_kb_ticket_text WHERE updated_at_ms >= @since ORDER BY updated_at_ms DESC LIMIT @max",
                new { since, max = MaxTicketsRead }, cancellationToken: cancellationToken))).ToList();
            misses = (await connection.QueryAsync<(string, long, long)>(new CommandDefinition("""
                SELECT lower(query), COUNT(*), MAX(at_ms) FROM sp_kb_missed_searches WHERE at_ms >= @since
                 GROUP BY lower(query) ORDER BY COUNT(*) DESC, MAX(at_ms) DESC LIMIT @limit
                """, new { since, limit }, cancellationToken: cancellationToken))).ToList();
        }

        var tagCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var termCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (subject, tags) in tickets)
        {
            foreach (var tag in tags.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct())
            {
                tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + 1;
            }

            foreach (var word in SearchQuery.Parse(subject, MatchMode.Any, prefixLastWord: false, maxTerms: 32).Words.Where(w => w.Length >= 3 && !w.All(char.IsAsciiDigit)))
            {
                termCounts[word] = termCounts.GetValueOrDefault(word) + 1;
            }
        }

        var gaps = new List<TopicGap>();
        foreach (var (topic, kind, count) in tagCounts.Select(t => (t.Key, "tag", t.Value))
                     .Concat(termCounts.Select(t => (t.Key, "term", t.Value)))
                     .Where(t => t.Value >= minTickets)
                     .OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal)
                     .Take(limit * 4))
        {
            var found = await search.ArticlesAsync(SearchQuery.Parse(topic.Replace('-', ' '), MatchMode.All, prefixLastWord: false), Audience.Staff, ArticleState.Published, 1, null, cancellationToken);
            if (found.Items.Count == 0 || found.Fuzzy)
            {
                gaps.Add(new TopicGap(topic, kind, count));
                if (gaps.Count == limit)
                {
                    break;
                }
            }
        }

        return new GapReport(sinceAt, tickets.Count, gaps, misses.Select(m => new MissedSearch(m.Query, (int)m.Count, DateTimeOffset.FromUnixTimeMilliseconds(m.LastAt))).ToList());
    }
}
