using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using SupportPlatform.Knowledge.Articles;
using SupportPlatform.Knowledge.Search;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// "Knowledge search": p95 latency of article search (as staff, with the typo fallback where nothing matches) and of
/// ticket search, one query at a time, at 1M tickets and 10k articles (quick: 100k and 2k), on PostgreSQL and on the
/// embedded SQLite database. The text is generated (a skewed vocabulary of IT words and made-up words, so some words
/// are in most documents and most are rare) and seeded in bulk, not through the API: PostgreSQL with COPY (the search
/// documents then computed in one statement, as the migration's trigger would), SQLite with one transaction of prepared
/// inserts (the FTS5 triggers maintain the index). The queries mix common and rare words, prefixes and typos.
/// </summary>
internal sealed class KnowledgeSearchWorkload(int? tickets = null, int? articles = null, int? queries = null) : IWorkload
{
    private static readonly string[] RealWords =
    [
        "printer", "offline", "password", "reset", "outlook", "calendar", "vpn", "disconnects", "backup", "restore", "server",
        "disk", "full", "certificate", "expired", "teams", "microphone", "mailbox", "shared", "license", "firewall", "port",
        "dns", "website", "laptop", "screen", "blue", "driver", "update", "windows", "network", "wifi", "guest", "mfa", "phone",
        "onedrive", "sync", "excel", "crash", "scanner", "email", "remote", "desktop", "keyboard", "reboot", "slow", "login",
        "account", "locked", "spooler", "queue", "error", "timeout", "connection", "refused", "permission", "denied", "folder",
        "share", "mapped", "drive", "group", "policy", "install", "upgrade", "migration", "tenant", "licence", "invoice",
    ];

    public string Name => "Knowledge search";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var ticketCount = tickets ?? context.Pick(100_000, 1_000_000);
        var articleCount = articles ?? context.Pick(2_000, 10_000);
        var queryCount = queries ?? context.Pick(300, 1_000);
        var label = ticketCount >= 1_000_000 ? $"{ticketCount / 1_000_000}M tickets" : $"{ticketCount / 1_000}k tickets";
        label += $", {articleCount / 1_000}k articles";
        var results = new List<WorkloadResult>();
        foreach (var provider in new[] { DatabaseProvider.PostgreSql, DatabaseProvider.Sqlite })
        {
            var (database, cleanup) = await CreateAsync(context, provider, cancellationToken);
            try
            {
                var seed = Stopwatch.StartNew();
                await SeedAsync(database, provider, ticketCount, articleCount, cancellationToken);
                context.Log.WriteLine($"  {provider}: seeded {ticketCount:N0} tickets and {articleCount:N0} articles in {seed.Elapsed.TotalSeconds:0} s");
                var search = new KnowledgeSearch(database.Database, TimeProvider.System);
                var (articleLatency, articleHits) = await MeasureAsync(queryCount, 1, (q, ct) => CountAsync(search.ArticlesAsync(q, Audience.Staff, null, 20, null, ct)), cancellationToken);
                var (ticketLatency, ticketHits) = await MeasureAsync(queryCount, 2, (q, ct) => CountAsync(search.TicketsAsync(q, null, 20, null, ct)), cancellationToken);
                var name = provider == DatabaseProvider.PostgreSql ? "PostgreSQL" : "SQLite";
                // The issue sets 200 ms on PostgreSQL; the embedded database (single small installs) is held to 1 s.
                var target = provider == DatabaseProvider.PostgreSql ? 200 : 1_000;
                results.Add(Result($"knowledge search p95, articles ({name}, {label})", articleLatency, articleHits, target));
                results.Add(Result($"knowledge search p95, tickets ({name}, {label})", ticketLatency, ticketHits, target));
            }
            finally
            {
                cleanup.Dispose();
            }
        }

        return results;
    }

    private static WorkloadResult Result(string name, List<double> latencies, double hitShare, double target)
    {
        latencies.Sort();
        return new WorkloadResult(name, Percentile(latencies, 0.95), "ms", null, null, false, new Dictionary<string, string>
        {
            ["p50_ms"] = Percentile(latencies, 0.50).ToString("0.0", CultureInfo.InvariantCulture),
            ["p99_ms"] = Percentile(latencies, 0.99).ToString("0.0", CultureInfo.InvariantCulture),
            ["max_ms"] = latencies[^1].ToString("0.0", CultureInfo.InvariantCulture),
            ["queries"] = latencies.Count.ToString(CultureInfo.InvariantCulture),
            ["queries_with_results"] = hitShare.ToString("P0", CultureInfo.InvariantCulture),
        }, target);
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<int> CountAsync<T>(Task<SearchResult<T>> search) => (await search).Items.Count;

    private static async Task<(List<double> Latencies, double HitShare)> MeasureAsync(
        int count, int seed, Func<SearchQuery, CancellationToken, Task<int>> run, CancellationToken cancellationToken)
    {
        var texts = Queries(count, seed);
        // Warm-up: connections, plans, caches.
        foreach (var text in texts.Take(Math.Min(20, count)))
        {
            await run(SearchQuery.Parse(text, MatchMode.All), cancellationToken);
        }

        var latencies = new List<double>(count);
        var withResults = 0;
        foreach (var text in texts)
        {
            var started = Stopwatch.GetTimestamp();
            if (await run(SearchQuery.Parse(text, MatchMode.All), cancellationToken) > 0)
            {
                withResults++;
            }

            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return (latencies, (double)withResults / count);
    }

    /// <summary>One word, two words, a word and a prefix being typed, three words, a typo: as people search.</summary>
    internal static List<string> Queries(int count, int seed)
    {
        var random = new Random(seed);
        var vocabulary = Vocabulary();
        var list = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add((i % 5) switch
            {
                0 => Word(random, vocabulary) + " ",
                1 => Word(random, vocabulary) + " " + Word(random, vocabulary) + " ",
                2 => Word(random, vocabulary) + " " + Prefix(Word(random, vocabulary)),
                3 => $"{Word(random, vocabulary)} {Word(random, vocabulary)} {Word(random, vocabulary)} ",
                _ => Typo(random, RealWords[random.Next(RealWords.Length)]) + " ",
            });
        }

        return list;

        static string Prefix(string word) => word.Length > 3 ? word[..(word.Length - 2)] : word;

        static string Typo(Random random, string word)
        {
            var at = random.Next(1, word.Length - 1);
            return word.Remove(at, 1);
        }
    }

    private static async Task SeedAsync(BenchStore database, DatabaseProvider provider, int ticketCount, int articleCount, CancellationToken cancellationToken)
    {
        var random = new Random(7);
        var vocabulary = Vocabulary();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (provider == DatabaseProvider.PostgreSql)
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await connection.ExecuteAsync("ALTER TABLE sp_kb_ticket_text DISABLE TRIGGER tr_sp_kb_ticket_text_fts; ALTER TABLE sp_kb_articles DISABLE TRIGGER tr_sp_kb_articles_fts; ALTER TABLE sp_kb_articles DISABLE TRIGGER tr_sp_kb_articles_words_vocab;");
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY sp_kb_ticket_text (ticket_id, account_id, subject, body, tags, status, updated_at_ms) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                for (var i = 0; i < ticketCount; i++)
                {
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(1001L + i, NpgsqlDbType.Bigint, cancellationToken);
                    await copy.WriteAsync("acct-" + (i % 200), NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(Text(random, vocabulary, 4, 9), NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(Text(random, vocabulary, 20, 80), NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync("", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(i % 3 == 0 ? "open" : "closed", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(now - i * 1_000L, NpgsqlDbType.Bigint, cancellationToken);
                }

                await copy.CompleteAsync(cancellationToken);
            }

            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY sp_kb_articles (title, body, body_html, tags, category, visibility, state, author_id, author_name, version, created_at_ms, updated_at_ms) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                for (var i = 0; i < articleCount; i++)
                {
                    var body = Text(random, vocabulary, 80, 300);
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(Text(random, vocabulary, 3, 8), NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(body, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync("<p>" + body + "</p>", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(Word(random, vocabulary), NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync("General", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(i % 4 == 0 ? "internal" : "public", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync("published", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync("bench", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync("Bench", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                    await copy.WriteAsync(now, NpgsqlDbType.Bigint, cancellationToken);
                    await copy.WriteAsync(now, NpgsqlDbType.Bigint, cancellationToken);
                }

                await copy.CompleteAsync(cancellationToken);
            }

            // The documents and the vocabulary in one pass each, as the triggers compute them (0015, 0027), with the GIN indexes
            // built afterwards (faster than maintaining them row by row).
            await connection.ExecuteAsync("""
                DROP INDEX ix_fts_sp_kb_ticket_text; DROP INDEX ix_fts_sp_kb_articles;
                INSERT INTO fts_sp_kb_ticket_text (ticket_id, document)
                SELECT ticket_id, setweight(to_tsvector('english'::regconfig, subject), 'A') || setweight(to_tsvector('english'::regconfig, body), 'C') FROM sp_kb_ticket_text;
                INSERT INTO fts_sp_kb_articles (article_id, document)
                SELECT id, setweight(to_tsvector('english'::regconfig, title), 'A') || setweight(to_tsvector('english'::regconfig, tags || ' ' || category), 'B')
                           || setweight(to_tsvector('english'::regconfig, body), 'C') FROM sp_kb_articles;
                INSERT INTO fts_sp_kb_words_vocab (term, doc)
                SELECT w.term, count(*) FROM sp_kb_articles a, sp_kb_article_words(a.title, a.tags, a.body) AS w(term) GROUP BY w.term;
                CREATE INDEX ix_fts_sp_kb_ticket_text ON fts_sp_kb_ticket_text USING gin (document);
                CREATE INDEX ix_fts_sp_kb_articles ON fts_sp_kb_articles USING gin (document);
                ALTER TABLE sp_kb_ticket_text ENABLE TRIGGER tr_sp_kb_ticket_text_fts; ALTER TABLE sp_kb_articles ENABLE TRIGGER tr_sp_kb_articles_fts; ALTER TABLE sp_kb_articles ENABLE TRIGGER tr_sp_kb_articles_words_vocab;
                """, commandTimeout: 3600);
            // VACUUM cannot share a batch with other statements.
            await connection.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 3600);
            return;
        }

        await using (var connection = (Microsoft.Data.Sqlite.SqliteConnection)await database.Database.OpenConnectionAsync(cancellationToken))
        {
            await using var transaction = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var ticket = connection.CreateCommand();
            ticket.Transaction = transaction;
            ticket.CommandText = "INSERT INTO sp_kb_ticket_text (ticket_id, account_id, subject, body, tags, status, updated_at_ms) VALUES ($id, $account, $subject, $body, '', $status, $at)";
            var p = new[] { "$id", "$account", "$subject", "$body", "$status", "$at" }.Select(n => ticket.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter { ParameterName = n })).ToArray();
            for (var i = 0; i < ticketCount; i++)
            {
                p[0].Value = 1001L + i;
                p[1].Value = "acct-" + (i % 200);
                p[2].Value = Text(random, vocabulary, 4, 9);
                p[3].Value = Text(random, vocabulary, 20, 80);
                p[4].Value = i % 3 == 0 ? "open" : "closed";
                p[5].Value = now - i * 1_000L;
                await ticket.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var article = connection.CreateCommand();
            article.Transaction = transaction;
            article.CommandText = """
                INSERT INTO sp_kb_articles (title, body, body_html, tags, category, visibility, state, author_id, author_name, version, created_at_ms, updated_at_ms)
                VALUES ($title, $body, '', $tags, 'General', $visibility, 'published', 'bench', 'Bench', 1, $at, $at)
                """;
            var a = new[] { "$title", "$body", "$tags", "$visibility", "$at" }.Select(n => article.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter { ParameterName = n })).ToArray();
            for (var i = 0; i < articleCount; i++)
            {
                a[0].Value = Text(random, vocabulary, 3, 8);
                a[1].Value = Text(random, vocabulary, 80, 300);
                a[2].Value = Word(random, vocabulary);
                a[3].Value = i % 4 == 0 ? "internal" : "public";
                a[4].Value = now;
                await article.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            await connection.ExecuteAsync("INSERT INTO fts_sp_kb_ticket_text (fts_sp_kb_ticket_text) VALUES ('optimize'); INSERT INTO fts_sp_kb_articles (fts_sp_kb_articles) VALUES ('optimize'); ANALYZE;");
        }
    }

    private static async Task<(BenchStore Store, IDisposable Cleanup)> CreateAsync(BenchContext context, DatabaseProvider provider, CancellationToken cancellationToken)
    {
        DatabaseSettings settings;
        IDisposable cleanup;
        if (provider == DatabaseProvider.PostgreSql)
        {
            var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, "bench_knowledge", cancellationToken);
            settings = new DatabaseSettings(DatabaseProvider.PostgreSql, database.ConnectionString);
            cleanup = new Nothing();
        }
        else
        {
            (settings, cleanup) = TestDatabases.CreateSqlite();
        }

        var services = new ServiceCollection().AddSupportPlatformStorage(settings).BuildServiceProvider();
        await services.GetRequiredService<IDatabaseMigrator>().MigrateAsync(cancellationToken);
        return (new BenchStore(services.GetRequiredService<IDatabase>(), settings.ConnectionString), new Both(services, cleanup));
    }

    /// <summary>A skewed vocabulary: the real IT words first, then made-up ones; <see cref="Word"/> picks low indices more often.</summary>
    private static string[] Vocabulary()
    {
        var random = new Random(3);
        string[] syllables = ["ka", "ro", "mi", "tel", "san", "dor", "vex", "lu", "qui", "bra", "net", "os", "zen", "pha", "gri", "tum"];
        var made = new HashSet<string>(StringComparer.Ordinal);
        while (made.Count < 6_000)
        {
            var word = new StringBuilder();
            for (var s = random.Next(2, 5); s > 0; s--)
            {
                word.Append(syllables[random.Next(syllables.Length)]);
            }

            made.Add(word.ToString());
        }

        var list = new List<string>();
        var madeList = made.ToList();
        // Real words spread through the ranks: some common, some rare.
        for (int i = 0, r = 0; i < madeList.Count; i++)
        {
            if (i % 80 == 0 && r < RealWords.Length)
            {
                list.Add(RealWords[r++]);
            }

            list.Add(madeList[i]);
        }

        return [.. list];
    }

    private static string Word(Random random, string[] vocabulary) => vocabulary[(int)(vocabulary.Length * Math.Pow(random.NextDouble(), 2.5))];

    private static string Text(Random random, string[] vocabulary, int min, int max)
    {
        var builder = new StringBuilder();
        for (var n = random.Next(min, max + 1); n > 0; n--)
        {
            builder.Append(Word(random, vocabulary)).Append(n % 12 == 0 ? ". " : " ");
        }

        return builder.ToString().TrimEnd();
    }

    private sealed record BenchStore(IDatabase Database, string ConnectionString);

    private sealed class Nothing : IDisposable
    {
        public void Dispose()
        {
        }
    }

    private sealed class Both(ServiceProvider services, IDisposable cleanup) : IDisposable
    {
        public void Dispose()
        {
            services.Dispose();
            cleanup.Dispose();
        }
    }
}
