using Microsoft.Extensions.Logging;
using SupportPlatform.Operations.Contracts;

namespace SupportPlatform.Operations;

/// <summary>Makes sure the housekeeping reminder exists once the silo is active (idempotent on every start).</summary>
internal sealed class HousekeepingScheduler(IGrainFactory grains, ILogger<HousekeepingScheduler> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(HousekeepingScheduler), ServiceLifecycleStage.Active, OnActive);

    private async Task OnActive(CancellationToken cancellationToken)
    {
        try
        {
            await grains.GetGrain<IHousekeepingGrain>(IHousekeepingGrain.Key).EnsureScheduled();
        }
        catch (Exception ex)
        {
            // Not fatal: the next start (or any silo of the cluster) schedules it again.
            logger.LogWarning(ex, "Could not schedule housekeeping yet");
        }
    }
}
