namespace SupportPlatform.Scheduling.Contracts;

/// <summary>Tuning of the deadline scheduler (configuration section <see cref="SectionName"/>).</summary>
public sealed class DeadlineSchedulerOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "SupportPlatform:Scheduling";

    /// <summary>
    /// Number of scheduler shard grains. Rows store their shard, so every node of a cluster must use the same value and it
    /// must not change on an existing database (rows of a shard number that no longer exists would never fire).
    /// </summary>
    public int ShardCount { get; set; } = 16;

    /// <summary>How far ahead each shard keeps due times in memory (8 bytes per deadline in that window).</summary>
    public TimeSpan LookAhead { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often each shard reloads its window from the table. It bounds how late a deadline whose notification was
    /// lost (crash between commit and notify, or another process writing rows) can fire. Must be shorter than <see cref="LookAhead"/>.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries in flight at once per shard, so that one slow target never holds up the others.</summary>
    public int MaxConcurrentDeliveriesPerShard { get; set; } = 64;

    /// <summary>Period of the one keep-alive reminder per shard that re-activates it after a crash (at least one minute).</summary>
    public TimeSpan KeepAlivePeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (ShardCount is < 1 or > 4096)
        {
            throw new ArgumentException($"{SectionName}:ShardCount must be between 1 and 4096 (got {ShardCount}).");
        }

        if (LookAhead < TimeSpan.FromSeconds(2))
        {
            throw new ArgumentException($"{SectionName}:LookAhead must be at least 2 seconds (got {LookAhead}).");
        }

        if (RefreshInterval <= TimeSpan.Zero || RefreshInterval >= LookAhead)
        {
            throw new ArgumentException($"{SectionName}:RefreshInterval must be positive and shorter than LookAhead (got {RefreshInterval}, LookAhead {LookAhead}).");
        }

        if (MaxConcurrentDeliveriesPerShard is < 1 or > 10_000)
        {
            throw new ArgumentException($"{SectionName}:MaxConcurrentDeliveriesPerShard must be between 1 and 10000 (got {MaxConcurrentDeliveriesPerShard}).");
        }

        if (KeepAlivePeriod < TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"{SectionName}:KeepAlivePeriod must be at least 1 minute, the Orleans reminder minimum (got {KeepAlivePeriod}).");
        }
    }
}
