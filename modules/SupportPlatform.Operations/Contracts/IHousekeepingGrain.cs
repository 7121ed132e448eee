namespace SupportPlatform.Operations.Contracts;

/// <summary>
/// The cluster's single housekeeping schedule (key <see cref="Key"/>): a persistent reminder that runs every
/// registered <c>IHousekeepingTask</c> once per <see cref="Period"/> and keeps the last outcomes.
/// </summary>
[Alias("sp.ops.housekeeping")]
public interface IHousekeepingGrain : IGrainWithStringKey
{
    /// <summary>The only key in use.</summary>
    public const string Key = "s-housekeeping";

    /// <summary>How often the tasks run.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromHours(1);

    /// <summary>Registers the reminder if it is not registered yet. Idempotent.</summary>
    [Alias("ensure-scheduled")]
    Task EnsureScheduled();

    /// <summary>Runs every task now, out of schedule.</summary>
    [Alias("run-now")]
    Task<HousekeepingStatus> RunNow();

    /// <summary>The schedule and the outcome of the last runs.</summary>
    [Alias("get-status")]
    Task<HousekeepingStatus> GetStatus();
}

/// <summary>The housekeeping schedule's state, as stored and as shown to administrators.</summary>
[GenerateSerializer, Alias("sp.ops.housekeeping-status")]
public sealed record HousekeepingStatus
{
    /// <summary>Whether the reminder is registered.</summary>
    [Id(0)] public bool Scheduled { get; init; }

    /// <summary>Completed rounds since the schedule was created.</summary>
    [Id(1)] public long Runs { get; init; }

    /// <summary>When the last round finished.</summary>
    [Id(2)] public DateTimeOffset? LastRunAt { get; init; }

    /// <summary>The last outcome of each task.</summary>
    [Id(3)] public IReadOnlyList<HousekeepingOutcome> LastOutcomes { get; init; } = [];
}

/// <summary>What one task did in the last round.</summary>
[GenerateSerializer, Immutable, Alias("sp.ops.housekeeping-outcome")]
public sealed record HousekeepingOutcome(
    [property: Id(0)] string Task,
    [property: Id(1)] bool Succeeded,
    [property: Id(2)] string Summary,
    [property: Id(3)] DateTimeOffset At);
