namespace SupportPlatform.Scheduling.Grains;

/// <summary>One scheduler shard (key 0 .. ShardCount-1): owns the rows of <c>sp_deadlines</c> whose shard column is its key.</summary>
[Alias("sp.sched.shard")]
internal interface IDeadlineShardGrain : IGrainWithIntegerKey
{
    /// <summary>Rows with these due times were committed: arm them when they fall in the window.</summary>
    [Alias("wake")]
    Task Wake(long[] dueAtMs);

    /// <summary>Activates the shard (start-up, keep-alive); activation loads the window and fires what is overdue.</summary>
    [Alias("ping")]
    Task Ping();

    /// <summary>Diagnostics and tests.</summary>
    [Alias("status")]
    Task<ShardStatus> GetStatus();
}

/// <summary>What a shard holds right now.</summary>
[GenerateSerializer, Immutable, Alias("sp.sched.shard-status")]
internal sealed record ShardStatus(
    [property: Id(0)] int Shard,
    [property: Id(1)] int InWindow,
    [property: Id(2)] int InFlight,
    [property: Id(3)] int Claimed,
    [property: Id(4)] long WindowEndMs,
    [property: Id(5)] long Delivered,
    [property: Id(6)] long Failures,
    [property: Id(7)] long ArmedAtMs,
    [property: Id(8)] bool Busy);
