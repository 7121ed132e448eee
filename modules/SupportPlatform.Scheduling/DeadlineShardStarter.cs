using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Grains;

namespace SupportPlatform.Scheduling;

/// <summary>
/// Activates every shard once the silo is active, so that after a restart overdue deadlines fire at once instead of at
/// the next keep-alive reminder tick; and again whenever another node of the cluster is declared dead, so that the shards
/// it held come back on a live node as soon as the cluster knows, not up to a reminder period later.
/// </summary>
internal sealed partial class DeadlineShardStarter(
    IGrainFactory grains, IClusterMembershipService membership, IOptions<DeadlineSchedulerOptions> options, ILogger<DeadlineShardStarter> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource stopping = new();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DeadlineShardStarter), ServiceLifecycleStage.Active, OnActive, OnStop);

    private Task OnActive(CancellationToken cancellationToken)
    {
        // Not awaited: start-up must not wait for every shard's window to load; failures are logged, reminders retry.
        _ = PingAllAsync("start");
        _ = WatchMembershipAsync(stopping.Token);
        return Task.CompletedTask;
    }

    private async Task OnStop(CancellationToken cancellationToken) => await stopping.CancelAsync().ConfigureAwait(false);

    private async Task WatchMembershipAsync(CancellationToken cancellationToken)
    {
        // Nodes already dead when this one started (earlier runs) are no news: only deaths seen afterwards trigger a ping.
        var dead = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var newlyDead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress)).ToList();
                if (newlyDead.Count > 0)
                {
                    LogNodeDead(logger, string.Join(", ", newlyDead.Select(m => m.SiloAddress)));
                    await PingAllAsync("a node died").ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Stopped watching the cluster membership; shards of dead nodes come back at their keep-alive reminder");
        }
    }

    private Task PingAllAsync(string why) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.ShardCount).Select(async shard =>
        {
            try
            {
                await grains.GetGrain<IDeadlineShardGrain>(shard).Ping().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not start deadline shard {Shard} ({Why}); its keep-alive reminder starts it later", shard, why);
            }
        }));

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node(s) {Silos} declared dead: activating every deadline shard here or on another live node")]
    private static partial void LogNodeDead(ILogger logger, string silos);
}
