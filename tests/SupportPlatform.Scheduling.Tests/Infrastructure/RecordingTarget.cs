using System.Collections.Concurrent;
using SupportPlatform.Scheduling.Contracts;

namespace SupportPlatform.Scheduling.Tests.Infrastructure;

/// <summary>A test target grain: records every delivery (with the fake clock's time of arrival) in the silo's <see cref="DeliveryLog"/>.</summary>
public interface IRecordingTarget : IDeadlineTarget, IGrainWithStringKey;

/// <summary>One delivery as the target saw it.</summary>
public sealed record Delivery(string Target, DeadlineFired Fired, DateTimeOffset ReceivedAt);

/// <summary>What the targets of one test cluster received, and how they should misbehave.</summary>
public sealed class DeliveryLog
{
    private readonly ConcurrentQueue<Delivery> deliveries = new();

    /// <summary>Deadline id → how many more attempts must throw.</summary>
    public ConcurrentDictionary<string, int> FailuresToInject { get; } = new(StringComparer.Ordinal);

    /// <summary>Deadline id → a task the target waits for before returning (a slow target).</summary>
    public ConcurrentDictionary<string, Task> Blockers { get; } = new(StringComparer.Ordinal);

    /// <summary>Deadline ids whose target has started handling them (also for blocked ones).</summary>
    public ConcurrentQueue<string> Started { get; } = new();

    public IReadOnlyList<Delivery> All => deliveries.ToArray();

    public bool WasDelivered(string id) => deliveries.Any(d => d.Fired.Id == id);

    internal void Add(Delivery delivery) => deliveries.Enqueue(delivery);
}

internal sealed class RecordingTargetGrain(DeliveryLog log, TimeProvider clock) : Grain, IRecordingTarget
{
    public async Task OnDeadline(DeadlineFired fired)
    {
        var receivedAt = clock.GetUtcNow();
        log.Started.Enqueue(fired.Id);
        if (log.FailuresToInject.TryGetValue(fired.Id, out var remaining) && remaining > 0)
        {
            log.FailuresToInject[fired.Id] = remaining - 1;
            throw new InvalidOperationException($"injected failure for {fired.Id}");
        }

        if (log.Blockers.TryGetValue(fired.Id, out var blocker))
        {
            await blocker;
        }

        log.Add(new Delivery(this.GetPrimaryKeyString(), fired, receivedAt));
    }
}
