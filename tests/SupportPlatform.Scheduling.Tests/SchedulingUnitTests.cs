using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Data;
using SupportPlatform.Scheduling.Grains;

namespace SupportPlatform.Scheduling.Tests;

/// <summary>The pure parts: the shard hash (stored in rows, so it must never change), the due-time heap, settings and requests.</summary>
public sealed class SchedulingUnitTests
{
    [Fact]
    public void Of_KnownIds_StableAcrossReleases()
    {
        // Golden values: rows store their shard; a changed hash would strand every existing row in the wrong shard.
        Assert.Equal(
            [2, 12, 2, 5],
            new[] { "tickets/t-42/breach", "a", "é/ünïcode", new string('x', 500) }.Select(id => DeadlineShards.Of(id, 16)).ToArray());
    }

    [Fact]
    public void Of_ManyIds_SpreadOverAllShards()
    {
        var counts = Enumerable.Range(0, 16_000).GroupBy(i => DeadlineShards.Of($"tickets/t-{i}/breach", 16)).Select(g => g.Count()).ToArray();
        Assert.Equal(16, counts.Length);
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }

    [Fact]
    public void Pop_RandomDueTimes_ComeOutSorted()
    {
        var random = new Random(42);
        var values = Enumerable.Range(0, 5_000).Select(_ => (long)random.Next(0, 1_000)).ToList();
        var heap = new DueTimeHeap();
        heap.Reset(values.Take(2_000).ToList());
        foreach (var v in values.Skip(2_000))
        {
            heap.Add(v);
        }

        var popped = new List<long>();
        while (heap.Count > 0)
        {
            popped.Add(heap.Pop());
        }

        Assert.Equal(values.Order(), popped);
    }

    [Theory]
    [InlineData("ShardCount", "ShardCount must be between")]
    [InlineData("RefreshInterval", "RefreshInterval must be positive and shorter than LookAhead")]
    [InlineData("KeepAlivePeriod", "KeepAlivePeriod must be at least 1 minute")]
    public void Validate_BadSetting_NamesTheKey(string setting, string message)
    {
        var options = new DeadlineSchedulerOptions();
        options.Validate();
        switch (setting)
        {
            case "ShardCount":
                options.ShardCount = 0;
                break;
            case "RefreshInterval":
                options.RefreshInterval = options.LookAhead;
                break;
            default:
                options.KeepAlivePeriod = TimeSpan.FromSeconds(30);
                break;
        }

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("SupportPlatform:Scheduling:" + setting, error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RequestWithoutTarget_Refused()
    {
        var request = new DeadlineRequest("x", DateTimeOffset.UnixEpoch, default, "k");
        Assert.Equal("Target", Assert.Throws<ArgumentException>(request.Validate).ParamName);
        Assert.Equal("Id", Assert.Throws<ArgumentException>((request with { Id = "" }).Validate).ParamName);
    }
}
