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
    public async Task AllocateNumber_Concurrent_AllDistinctFrom1001()
    {
        var numbers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => store.AllocateNumberAsync()));

        Assert.Equal(50, numbers.Distinct().Count());
        Assert.All(numbers, n => Assert.True(n > 1000));
    }
}
