using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Grains;

namespace SupportPlatform.Scheduling;

/// <summary>
/// Activates every shard once the silo is active, so that after a restart (or a crash of another node) overdue deadlines
/// fire at once instead of at the next keep-alive reminder tick.
/// </summary>
internal sealed class DeadlineShardStarter(IGrainFactory grains, IOptions<DeadlineSchedulerOptions> options, ILogger<DeadlineShardStarter> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DeadlineShardStarter), ServiceLifecycleStage.Active, OnActive);

    private Task OnActive(CancellationToken cancellationToken)
    {
        // Not awaited: start-up must not wait for every shard's window to load; failures are logged, reminders retry.
        _ = Task.WhenAll(Enumerable.Range(0, options.Value.ShardCount).Select(async shard =>
        {
            try
            {
                await grains.GetGrain<IDeadlineShardGrain>(shard).Ping().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not start deadline shard {Shard} yet; its keep-alive reminder starts it later", shard);
            }
        }));
        return Task.CompletedTask;
    }
}
