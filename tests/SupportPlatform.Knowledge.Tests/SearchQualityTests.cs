using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Knowledge.Articles;
using SupportPlatform.Knowledge.Search;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;

namespace SupportPlatform.Knowledge.Tests;

/// <summary>The corpus in a fresh database of one back-end, every article published.</summary>
public abstract class CorpusDatabase(DatabaseProvider provider) : IAsyncLifetime
{
    private IDisposable? cleanup;
    private ServiceProvider? services;

    internal IDatabase Database { get; private set; } = null!;

    internal KnowledgeSearch Search { get; private set; } = null!;

    internal Dictionary<long, string> Keys { get; } = [];

    public DatabaseProvider Provider => provider;

    public async Task InitializeAsync()
    {
        var (settings, handle) = await TestDatabases.CreateAsync(provider, "kbquality");
        cleanup = handle;
        services = new ServiceCollection().AddSupportPlatformStorage(settings).BuildServiceProvider();
        await services.GetRequiredService<IDatabaseMigrator>().MigrateAsync();
        Database = services.GetRequiredService<IDatabase>();
        var store = new ArticleStore(Database, new MarkdownRenderer(), TimeProvider.System);
        var author = new Editor("writer", "Writer", false);
        foreach (var (key, title, tags, category, body) in Corpus.Articles)
        {
            var article = await store.CreateAsync(new ArticleDraft(title, body, tags, category, ArticleVisibility.Public, null), author, null, default);
            Keys[article.Id] = key;
        }

        await using (var connection = await Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE sp_kb_articles SET state = 'published'");
        }

        Search = new KnowledgeSearch(Database, TimeProvider.System);
    }

    public Task DisposeAsync()
    {
        services?.Dispose();
        cleanup?.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class SqliteCorpus() : CorpusDatabase(DatabaseProvider.Sqlite);

public sealed class PostgreSqlCorpus() : CorpusDatabase(DatabaseProvider.PostgreSql);

public sealed class SqliteSearchQualityTests(SqliteCorpus corpus) : SearchQualityTests(corpus), IClassFixture<SqliteCorpus>;

public sealed class PostgreSqlSearchQualityTests(PostgreSqlCorpus corpus) : SearchQualityTests(corpus), IClassFixture<PostgreSqlCorpus>;

/// <summary>
/// Search quality on each back-end: 30 articles and 15 queries with the expected first result, covering stemming,
/// typos, prefixes, phrases, exclusions and a query that must find nothing.
/// </summary>
public abstract class SearchQualityTests(CorpusDatabase corpus)
{
    public static TheoryData<string> Queries() => new(Corpus.Queries.Select(q => q.Query));

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Search_CorpusQuery_ExpectedArticleFirst(string text)
    {
        var (_, expected, why) = Corpus.Queries.Single(q => q.Query == text);

        var result = await corpus.Search.ArticlesAsync(SearchQuery.Parse(text, MatchMode.All), Audience.Staff, null, 5, text, default);

        var keys = result.Items.Select(i => corpus.Keys[i.Id]).ToList();
        if (expected is null)
        {
            Assert.True(keys.Count == 0, $"'{text}' ({why}) should find nothing on {corpus.Provider}, found {string.Join(", ", keys)}");
        }
        else
        {
            Assert.True(keys.FirstOrDefault() == expected, $"'{text}' ({why}) on {corpus.Provider}: expected {expected} first, got [{string.Join(", ", keys)}]");
        }
    }

    [Fact]
    public async Task Search_Exclusion_ExcludedArticleAbsent()
    {
        var result = await corpus.Search.ArticlesAsync(SearchQuery.Parse("wifi -guest", MatchMode.All), Audience.Staff, null, 10, null, default);

        Assert.DoesNotContain(result.Items, i => corpus.Keys[i.Id] == "wifi-guest");
    }

    [Fact]
    public async Task Search_Match_SnippetHighlightsTermsAndEscapesText()
    {
        var result = await corpus.Search.ArticlesAsync(SearchQuery.Parse("spooler", MatchMode.All), Audience.Staff, null, 5, null, default);

        var hit = Assert.Single(result.Items);
        Assert.Equal("printer-offline", corpus.Keys[hit.Id]);
        Assert.Contains("<mark>Spooler</mark>", hit.Snippet, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", hit.Snippet, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Search_Typo_FlaggedAsFuzzy()
    {
        var result = await corpus.Search.ArticlesAsync(SearchQuery.Parse("outlok calendar", MatchMode.All), Audience.Staff, null, 5, null, default);

        Assert.True(result.Fuzzy);
        Assert.Equal("outlook calendar", result.Corrected);
    }

    [Fact]
    public async Task Search_AnyMode_RanksArticleSharingMostWordsFirst()
    {
        var query = SearchQuery.Parse("Since this morning the printer on floor 2 is offline and nobody can print", MatchMode.Any, prefixLastWord: false);

        var result = await corpus.Search.ArticlesAsync(query, Audience.Staff, null, 5, null, default);

        Assert.Equal("printer-offline", corpus.Keys[result.Items[0].Id]);
    }
}
