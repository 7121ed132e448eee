using Dapper;
using Orleans.Core.Internal;
using SupportPlatform.Core;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Grains;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Persistence;

namespace SupportPlatform.Tickets.Tests;

public sealed class SqliteTicketStoreTests(SqliteTickets fixture) : TicketStoreTests(fixture), IClassFixture<SqliteTickets>;

public sealed class PostgreSqlTicketStoreTests(PostgreSqlTickets fixture) : TicketStoreTests(fixture), IClassFixture<PostgreSqlTickets>;

/// <summary>The ticket's row, state and events are written in one transaction, with an optimistic version check.</summary>
public abstract class TicketStoreTests(TicketsFixture fixture)
{
    private readonly TicketStore store = fixture.Factory.Services.GetRequiredService<TicketStore>();

    [Fact]
    public async Task Save_FailureInsideTransaction_NothingChanges()
    {
        var ticket = await fixture.Client().NewTicket("Disk full");
        var (state, version) = (await store.LoadAsync(ticket.Id))!.Value;
        var comment = new CommentAdded
        {
            Seq = state.LastSeq + 1, At = DateTimeOffset.UtcNow, Actor = Actor.System("test"),
            CommentId = "c1", Visibility = CommentVisibility.Public, Body = "lost?",
        };

        // A failure after the row and the events were written, before commit: a crash at the worst moment.
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.SaveAsync(
            state with { Subject = "changed", LastSeq = state.LastSeq + 1 }, version, [comment], new TicketProjection(null, false),
            (_, _) => throw new InvalidOperationException("crash")));

        var (after, afterVersion) = (await store.LoadAsync(ticket.Id))!.Value;
        var events = await store.ReadEventsAsync([ticket.Id]);
        Assert.Equal((version, "Disk full", state.LastSeq), (afterVersion, after.Subject, after.LastSeq));
        Assert.Equal(state.LastSeq, events.Count);
        Assert.Equal(ticket.Subject, (await (await fixture.Client().GetAsync($"/api/tickets/{ticket.Id}")).Read<TicketView>()).Subject);
    }

    [Fact]
    public async Task Save_StaleVersion_Refused()
    {
        var ticket = await fixture.Client().NewTicket("Slow laptop");
        var (state, version) = (await store.LoadAsync(ticket.Id))!.Value;
        await fixture.Client().Send($"/api/tickets/{ticket.Id}/comments", new { body = "moved version on" });

        await Assert.ThrowsAnyAsync<Exception>(() => store.SaveAsync(state with { Subject = "stale" }, version, [], new TicketProjection(null, false)));

        Assert.Equal("Slow laptop", (await store.LoadAsync(ticket.Id))!.Value.State.Subject);
    }

    [Fact]
    public async Task Writer_NewTicketsStoredTogether_EachHasItsNotificationAndSearchText()
    {
        // New tickets written in one batch: the commit participants get them all at once (one statement each for the
        // knowledge base's text and the new-ticket notifications); every ticket must still have its own rows.
        var writer = fixture.Factory.Services.GetRequiredService<TicketWriter>();
        var database = fixture.Factory.Services.GetRequiredService<IDatabase>();
        var marker = Guid.NewGuid().ToString("N")[..12];
        var ids = new List<long>();
        for (var i = 0; i < 24; i++)
        {
            ids.Add(await store.AllocateNumberAsync());
        }

        var now = DateTimeOffset.UtcNow;
        var before = writer.Transactions;
        await Task.WhenAll(ids.Select((id, i) =>
        {
            var state = new TicketState
            {
                Id = id, AccountId = "acme", RequesterId = "bob", Channel = TicketChannel.Api, Priority = Priority.Low, Status = TicketStatus.New,
                Subject = $"Batch {marker} {i}", Description = $"text {marker} {i}", CreatedAt = now, UpdatedAt = now, LastSeq = 1,
            };
            TicketEvent[] events = [new TicketCreated { Seq = 1, At = now, Actor = Actor.System("test"), Channel = TicketChannel.Api, Priority = Priority.Low, Subject = state.Subject }];
            return writer.SaveAsync(new TicketWrite(state, 0, events, new TicketProjection(null, false), [], [], null, new TicketChange(state.ToView(1), events)));
        }));

        Assert.InRange(writer.Transactions - before, 1, 23);
        await using var connection = await database.OpenConnectionAsync();
        var texts = (await connection.QueryAsync<(long TicketId, string Subject, string Body)>(
            $"SELECT ticket_id, subject, body FROM sp_kb_ticket_text WHERE ticket_id {database.InList("ids")} ORDER BY ticket_id", new { ids = ids.ToArray() })).ToList();
        Assert.Equal(ids.Select((id, i) => (id, $"Batch {marker} {i}", $"text {marker} {i}")), texts);
        var notified = (await connection.QueryAsync<(string EventKey, long TicketId, string Type)>(
            $"SELECT event_key, ticket_id, event_type FROM sp_notifications WHERE ticket_id {database.InList("ids")} ORDER BY ticket_id", new { ids = ids.ToArray() })).ToList();
        Assert.Equal(ids.Select(id => ($"tickets/{id}/event/1", id, "new-ticket")), notified);
    }

    [Fact]
    public async Task SubjectSearch_PostgreSql_ServedByTheTrigramIndex()
    {
        var database = fixture.Factory.Services.GetRequiredService<IDatabase>();
        if (database.Provider != DatabaseProvider.PostgreSql)
        {
            // SQLite narrows the search through its FTS5 trigram table instead (the API tests check the results).
            return;
        }

        // The list's own condition (TicketQueries) must match the index's expression, or every search reads the whole table.
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("SET LOCAL enable_seqscan = off", transaction: transaction);
        var plan = string.Join('\n', await connection.QueryAsync<string>(
            "EXPLAIN SELECT count(*) FROM sp_tickets WHERE lower(subject) LIKE @text ESCAPE '\\'", new { text = "%printer%" }, transaction));

        Assert.Contains("ix_sp_tickets_subject_trgm", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllocateNumber_Concurrent_AllDistinctFrom1001()
    {
        var numbers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => store.AllocateNumberAsync()));

        Assert.Equal(50, numbers.Distinct().Count());
        Assert.All(numbers, n => Assert.True(n > 1000));
    }

    [Fact]
    public async Task Writer_ConcurrentChanges_StoredTogether_AndAStaleOneFailsAlone()
    {
        var writer = fixture.Factory.Services.GetRequiredService<TicketWriter>();
        var tickets = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => fixture.Client().NewTicket($"Batch {i}")));
        var loaded = new List<(TicketState State, long Version)>();
        foreach (var ticket in tickets)
        {
            loaded.Add((await store.LoadAsync(ticket.Id))!.Value);
        }

        // The first ticket moves on meanwhile, so the write below for it is stale.
        await fixture.Client().Send($"/api/tickets/{tickets[0].Id}/comments", new { body = "moved on" });

        var writes = loaded.Select((t, i) => writer.SaveAsync(new TicketWrite(
            t.State with { Subject = $"renamed {i}", LastSeq = t.State.LastSeq + 1 },
            t.Version,
            [new DetailsChanged { Seq = t.State.LastSeq + 1, At = DateTimeOffset.UtcNow, Actor = Actor.System("test"), Subject = $"renamed {i}" }],
            new TicketProjection(null, false),
            [],
            [],
            null))).ToList();
        await Assert.ThrowsAsync<TicketConcurrencyException>(() => writes[0]);
        for (var i = 1; i < writes.Count; i++)
        {
            Assert.Equal(loaded[i].Version + 1, await writes[i]);
            var (after, version) = (await store.LoadAsync(tickets[i].Id))!.Value;
            Assert.Equal(($"renamed {i}", loaded[i].Version + 1), (after.Subject, version));
            Assert.Contains(await store.ReadEventsAsync([tickets[i].Id]), e => e.Event is DetailsChanged);
        }

        Assert.Equal("Batch 0", (await store.LoadAsync(tickets[0].Id))!.Value.State.Subject);
    }

    [Fact]
    public async Task Create_OnAnExistingTicketAfterReactivation_ReturnsItUnchanged()
    {
        var ticket = await fixture.Client().NewTicket("Printer jam");
        var grains = fixture.Factory.Services.GetRequiredService<IGrainFactory>();

        // A fresh activation does not read the row before Create; the insert must notice the ticket exists.
        await grains.GetGrain<ITicketGrain>(ticket.Id).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var again = await grains.GetGrain<ITicketGrain>(ticket.Id).Create(new CreateTicket
        {
            AccountId = "acme", RequesterId = "someone-else", Channel = TicketChannel.Api, Subject = "Different", Description = "", Actor = Actor.System("test"),
        });

        Assert.Equal(("Printer jam", ticket.Version), (again.Subject, again.Version));
        Assert.Single(await store.ReadEventsAsync([ticket.Id]), e => e.Event is TicketCreated);
    }

    [Fact]
    public async Task Writer_ConcurrentChanges_ShareTransactions()
    {
        var writer = fixture.Factory.Services.GetRequiredService<TicketWriter>();
        var tickets = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => fixture.Client().NewTicket($"Group {i}")));
        var loaded = new List<(TicketState State, long Version)>();
        foreach (var ticket in tickets)
        {
            loaded.Add((await store.LoadAsync(ticket.Id))!.Value);
        }

        var before = writer.Transactions;
        var versions = await Task.WhenAll(loaded.Select(t => writer.SaveAsync(new TicketWrite(
            t.State with { Subject = "grouped" }, t.Version, [], new TicketProjection(null, false), [], [], null))));

        Assert.Equal(loaded.Select(t => t.Version + 1), versions);
        Assert.InRange(writer.Transactions - before, 1, 19);
        foreach (var ticket in tickets)
        {
            Assert.Equal("grouped", (await store.LoadAsync(ticket.Id))!.Value.State.Subject);
        }
    }
}
