using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Notifications.OnCall;

namespace SupportPlatform.Notifications.Tests;

/// <summary>Hand-off arithmetic in Europe/London across both 2026 DST changes (29 March, 25 October), with overrides.</summary>
public sealed class RotationMathTests
{
    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    private static OnCallSchedule Schedule(params RotationLayer[] layers) =>
        new() { Id = "l1", Team = "L1", TimeZone = "Europe/London", Layers = layers };

    private static RotationLayer Daily(DateOnly start, TimeOnly at, params string[] users) =>
        new() { Name = "daily", Users = users, Handoff = HandoffKind.Daily, HandoffTime = at, Start = start };

    [Fact]
    public void DailyHandoff_AcrossSpringForward_StaysAtNineLocal()
    {
        var schedule = Schedule(Daily(new DateOnly(2026, 3, 27), new TimeOnly(9, 0), "alice", "bob"));

        // Saturday 28 March 09:00 GMT = 09:00 UTC; Sunday 29 March 09:00 BST = 08:00 UTC: bob's shift is 23 hours.
        var bob = RotationMath.Who(schedule, [], Utc(3, 28, 12));
        Assert.Equal(("bob", Utc(3, 28, 9), Utc(3, 29, 8)), (bob.UserId, bob.ShiftStart, bob.ShiftEnd));
        Assert.Equal("bob", RotationMath.Who(schedule, [], Utc(3, 29, 7, 59)).UserId);
        var alice = RotationMath.Who(schedule, [], Utc(3, 29, 8));
        Assert.Equal(("alice", "layer:daily", Utc(3, 29, 8), Utc(3, 30, 8)), (alice.UserId, alice.Source, alice.ShiftStart, alice.ShiftEnd));
        Assert.Null(RotationMath.Who(schedule, [], Utc(3, 27, 8, 59)).UserId);
    }

    [Fact]
    public void WeeklyHandoff_AtASkippedTime_HappensWhenTheClocksResume()
    {
        // 01:30 does not exist on 29 March (01:00 GMT jumps to 02:00 BST): the hand-off is at 02:30 BST = 01:30 UTC.
        var schedule = Schedule(new RotationLayer
        {
            Name = "weekly", Users = ["alice", "bob", "carol"], Handoff = HandoffKind.Weekly, HandoffTime = new TimeOnly(1, 30), Start = new DateOnly(2026, 3, 22),
        });
        Assert.Equal(Utc(3, 22, 1, 30), RotationMath.Who(schedule, [], Utc(3, 25, 0)).ShiftStart);
        Assert.Equal("alice", RotationMath.Who(schedule, [], Utc(3, 29, 1, 29)).UserId);
        var bob = RotationMath.Who(schedule, [], Utc(3, 29, 1, 30));
        Assert.Equal(("bob", Utc(3, 29, 1, 30), Utc(4, 5, 0, 30)), (bob.UserId, bob.ShiftStart, bob.ShiftEnd));
        Assert.Equal("carol", RotationMath.Who(schedule, [], Utc(4, 5, 0, 30)).UserId);
        Assert.Equal("alice", RotationMath.Who(schedule, [], Utc(4, 12, 0, 30)).UserId);
    }

    [Fact]
    public void WeeklyHandoff_AtARepeatedTime_HappensAtItsFirstOccurrence()
    {
        // 25 October: 01:00–02:00 happens twice (BST, then GMT). The hand-off is at the first 01:30 = 00:30 UTC, and
        // the second 01:15 (01:15 UTC), though its wall clock reads before 01:30, is already the new shift.
        var schedule = Schedule(new RotationLayer
        {
            Name = "weekly", Users = ["alice", "bob"], Handoff = HandoffKind.Weekly, HandoffTime = new TimeOnly(1, 30), Start = new DateOnly(2026, 10, 18),
        });
        Assert.Equal("alice", RotationMath.Who(schedule, [], Utc(10, 25, 0, 29)).UserId);
        Assert.Equal("bob", RotationMath.Who(schedule, [], Utc(10, 25, 0, 30)).UserId);
        var bob = RotationMath.Who(schedule, [], Utc(10, 25, 1, 15));
        Assert.Equal(("bob", Utc(10, 25, 0, 30), Utc(11, 1, 1, 30)), (bob.UserId, bob.ShiftStart, bob.ShiftEnd));
    }

    [Fact]
    public void Overrides_BeatLayers_NewestFirst_AndNightLayerSitsAboveTheDayRotation()
    {
        var schedule = Schedule(
            Daily(new DateOnly(2026, 12, 1), new TimeOnly(9, 0), "alice", "bob"),
            new RotationLayer { Name = "nights", Users = ["nina"], Handoff = HandoffKind.Weekly, Start = new DateOnly(2026, 12, 1), ActiveFrom = new TimeOnly(18, 0), ActiveTo = new TimeOnly(9, 0) });
        OnCallOverride[] overrides =
        [
            new("o1", "l1", "holly", Utc(12, 24, 9), Utc(12, 27, 9), "Christmas"),
            new("o2", "l1", "sam", Utc(12, 25, 12), Utc(12, 25, 14), "swap"),
        ];

        Assert.Equal(("alice", "layer:daily"), Pick(RotationMath.Who(schedule, overrides, Utc(12, 3, 12))));
        Assert.Equal(("nina", "layer:nights"), Pick(RotationMath.Who(schedule, overrides, Utc(12, 3, 22))));
        Assert.Equal(("nina", "layer:nights"), Pick(RotationMath.Who(schedule, overrides, Utc(12, 4, 8, 59))));
        Assert.Equal(("holly", "override"), Pick(RotationMath.Who(schedule, overrides, Utc(12, 25, 11))));
        Assert.Equal(("sam", "override"), Pick(RotationMath.Who(schedule, overrides, Utc(12, 25, 13))));
        Assert.Equal(("holly", "override"), Pick(RotationMath.Who(schedule, overrides, Utc(12, 25, 14))));
        Assert.Equal(("alice", "layer:daily"), Pick(RotationMath.Who(schedule, overrides, Utc(12, 27, 9))));
    }

    [Fact]
    public void Validate_NamesEveryProblem()
    {
        var problems = RotationMath.Validate(new OnCallSchedule
        {
            Id = "x", Team = "", TimeZone = "Mars/Olympus", Layers = [new RotationLayer { Name = "a", Users = [], Start = new DateOnly(2026, 1, 1), ActiveFrom = new TimeOnly(18, 0) }],
        });
        Assert.Contains(problems, p => p.StartsWith("team:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'Mars/Olympus' is not a known IANA time zone", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("layers[0].users", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("activeFrom and activeTo", StringComparison.Ordinal));
    }

    private static (string?, string?) Pick(OnCallAnswer answer) => (answer.UserId, answer.Source);
}
