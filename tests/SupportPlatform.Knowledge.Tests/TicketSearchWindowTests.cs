using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Knowledge.Search;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;

namespace SupportPlatform.Knowledge.Tests;

/// <summary>
/// 2,000 tickets (ids 1 to 2,000, accounts acct-0 and acct-1 alternating): every one mentions "printer" in its body,
/// tickets 1 and 1,950 also in their subject; every tenth mentions "toner"; tickets 3, 5 and 7 "zanzibar".
/// </summary>
public sealed class TicketTextDatabase : IAsyncLifetime
{
    private IDisposable? cleanup;
    private ServiceProvider? services;

    internal IDatabase Database { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var (settings, handle) = await TestDatabases.CreateAsync(DatabaseProvider.PostgreSql, "kbwindow");
        cleanup = handle;
        services = new ServiceCollection().AddSupportPlatformStorage(settings).BuildServiceProvider();
        await services.GetRequiredService<IDatabaseMigrator>().MigrateAsync();
        Database = services.GetRequiredService<IDatabase>();
        await using var connection = await Database.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO sp_kb_ticket_text (ticket_id, account_id, subject, body, tags, status, updated_at_ms)
            SELECT i, 'acct-' || (i % 2),
                   CASE WHEN i IN (1, 1950) THEN 'printer jammed again' ELSE 'ticket number ' || i END,
                   'the printer in the hall' || CASE WHEN i % 10 = 0 THEN ' needs toner' ELSE '' END
                                             || CASE WHEN i IN (3, 5, 7) THEN ' near zanzibar' ELSE '' END,
                   '', 'open', i
              FROM generate_series(1, 2000) AS i
            """);
    }

    public Task DisposeAsync()
    {
        services?.Dispose();
        cleanup?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Ticket search on PostgreSQL ranks at most about <c>RankedMatches</c> of the newest matches (a common word at a million
/// tickets would otherwise rank them all); here with small limits so 2,000 tickets show each path.
/// </summary>
public sealed class TicketSearchWindowTests(TicketTextDatabase db) : IClassFixture<TicketTextDatabase>
{
    private KnowledgeSearch Windowed => new(db.Database, TimeProvider.System) { RankedMatches = 100, ProbeTickets = 200 };

    [Fact]
    public async Task CommonWord_RankedAmongTheNewestOnly_AndSaysSo()
    {
        var result = await Windowed.TicketsAsync(SearchQuery.Parse("printer", MatchMode.All, prefixLastWord: false), null, 20, "printer", default);

        // The newest 200 tickets all match: enough, so only they were ranked; the subject match among them comes first.
        Assert.Equal(200, result.RankedNewest);
        Assert.Equal(1950, result.Items[0].TicketId);
        Assert.Equal(20, result.Items.Count);
        Assert.All(result.Items, i => Assert.True(i.TicketId > 1800, $"ticket {i.TicketId} is outside the newest 200"));
        Assert.Contains("<mark>printer</mark>", result.Items[0].Snippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommonWord_FewTickets_EveryMatchRanked()
    {
        // The default limits exceed 2,000 tickets: every match is ranked, the oldest subject match included.
        var result = await new KnowledgeSearch(db.Database, TimeProvider.System).TicketsAsync(
            SearchQuery.Parse("printer", MatchMode.All, prefixLastWord: false), null, 20, "printer", default);

        Assert.Null(result.RankedNewest);
        Assert.Equal([1L, 1950L], result.Items.Take(2).Select(i => i.TicketId).Order());
    }

    [Fact]
    public async Task SparserWord_WindowWidenedToTheDensityFound()
    {
        var result = await Windowed.TicketsAsync(SearchQuery.Parse("toner", MatchMode.All, prefixLastWord: false), null, 50, "toner", default);

        // 20 matches among the newest 200 (fewer than half of 100): a window of 200 * 100 / 20 = 1,000 tickets, which
        // holds 100 matches.
        Assert.Equal(100, result.RankedNewest);
        Assert.Equal(50, result.Items.Count);
        Assert.All(result.Items, i => Assert.True(i.TicketId > 1000 && i.TicketId % 10 == 0, $"ticket {i.TicketId}"));
    }

    [Fact]
    public async Task RareWord_EveryMatchRanked_OldestFound()
    {
        var result = await Windowed.TicketsAsync(SearchQuery.Parse("zanzibar", MatchMode.All, prefixLastWord: false), null, 20, "zanzibar", default);

        Assert.Null(result.RankedNewest);
        Assert.Equal([3L, 5L, 7L], result.Items.Select(i => i.TicketId).Order());
    }

    [Fact]
    public async Task AccountFilter_AppliesInEveryWindow()
    {
        var result = await Windowed.TicketsAsync(SearchQuery.Parse("toner", MatchMode.All, prefixLastWord: false), "acct-0", 50, "toner", default);

        Assert.NotEmpty(result.Items);
        Assert.All(result.Items, i => Assert.Equal("acct-0", i.AccountId));
        Assert.Empty((await Windowed.TicketsAsync(SearchQuery.Parse("zanzibar", MatchMode.All, prefixLastWord: false), "acct-0", 20, null, default)).Items);
    }

    [Fact]
    public async Task NoMatch_Empty()
    {
        var result = await Windowed.TicketsAsync(SearchQuery.Parse("nonexistentword", MatchMode.All, prefixLastWord: false), null, 20, null, default);

        Assert.Empty(result.Items);
        Assert.Null(result.RankedNewest);
    }
}
