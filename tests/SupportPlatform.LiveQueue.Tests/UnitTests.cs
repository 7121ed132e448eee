using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.LiveQueue.Grains;
using SupportPlatform.LiveQueue.Publishing;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.LiveQueue.Tests;

public sealed class ChangeLogTests
{
    [Fact]
    public void After_WithinTheBuffer_ReturnsTheChangesAfterIt()
    {
        var log = Filled(capacity: 4, from: 100, count: 3);

        Assert.Equal([102L, 103L], log.After(101)!.Select(c => c.Seq));
        Assert.Empty(log.After(103)!);
        Assert.Equal([101L, 102L, 103L], log.After(100)!.Select(c => c.Seq));
    }

    [Fact]
    public void After_OlderThanTheBufferOrUnknown_ReturnsNull()
    {
        var log = Filled(capacity: 4, from: 100, count: 10);

        Assert.Equal(106, log.Floor);
        Assert.Null(log.After(105));
        Assert.Equal([107L, 108L, 109L, 110L], log.After(106)!.Select(c => c.Seq));
        Assert.Null(log.After(111));
    }

    [Fact]
    public void Append_NotTheNextNumber_IsRefused()
    {
        var log = Filled(capacity: 4, from: 100, count: 1);

        Assert.False(log.Append(Change(103)));
        Assert.False(log.Append(Change(101)));
        Assert.True(log.Append(Change(102)));
    }

    private static ChangeLog Filled(int capacity, long from, int count)
    {
        var log = new ChangeLog(capacity);
        log.Reset(from);
        for (var i = 1; i <= count; i++)
        {
            Assert.True(log.Append(Change(from + i)));
        }

        return log;
    }

    private static LiveChange Change(long seq) => new(seq, LiveChangeKind.Call, DateTimeOffset.UnixEpoch, null, null);
}

public sealed class TicketChangeObserverTests
{
    private static readonly Actor Alice = new(ActorKind.Staff, "alice", "Alice Agent");

    [Fact]
    public void Describe_CreatedWithRouting_IsCreated()
    {
        var (kind, _) = TicketChangeObserver.Describe([
            new TicketCreated { Actor = Alice, Channel = TicketChannel.Email, Priority = Core.Priority.High, Subject = "x" },
            new Assigned { Actor = Alice, Group = "network", Reason = "rule 'network' matched" },
        ]);

        Assert.Equal(LiveChangeKind.Created, kind);
    }

    [Fact]
    public void Describe_BreachWithWarning_IsBreachWithTheClock()
    {
        Assert.Equal((LiveChangeKind.SlaBreach, "resolution"), TicketChangeObserver.Describe([
            new SlaWarned { Actor = Alice, Clock = "resolution", DueAt = DateTimeOffset.UnixEpoch },
            new SlaBreached { Actor = Alice, Clock = "resolution", DueAt = DateTimeOffset.UnixEpoch },
        ]));
    }

    [Fact]
    public void Describe_StatusAndOtherEvents_SayWhatMoved()
    {
        Assert.Equal((LiveChangeKind.Status, "pending-client to open"), TicketChangeObserver.Describe([
            new StatusChanged { Actor = Alice, From = TicketStatus.PendingClient, To = TicketStatus.Open },
        ]));
        Assert.Equal((LiveChangeKind.Updated, "priority"), TicketChangeObserver.Describe([
            new PriorityChanged { Actor = Alice, From = Core.Priority.Low, To = Core.Priority.High },
        ]));
        Assert.Equal((LiveChangeKind.Updated, null), TicketChangeObserver.Describe([]));
    }
}
