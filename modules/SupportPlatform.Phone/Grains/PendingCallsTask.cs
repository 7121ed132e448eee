using Microsoft.Extensions.Logging;
using SupportPlatform.Core;
using SupportPlatform.Phone.Contracts;
using SupportPlatform.Phone.Persistence;

namespace SupportPlatform.Phone.Grains;

/// <summary>
/// Resumes calls whose follow-up (ticket, call note, count, transcription) was interrupted by a failure after the
/// provider's event was stored, so an acknowledged event is never left half done.
/// </summary>
internal sealed class PendingCallsTask(CallStore store, IClusterClient client, TimeProvider clock, ILogger<PendingCallsTask> logger) : IHousekeepingTask
{
    public string Name => "phone.pending-calls";

    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        var ids = await store.PendingAsync(clock.GetUtcNow().AddMinutes(-1), 200);
        var failed = 0;
        foreach (var id in ids)
        {
            try
            {
                await client.GetGrain<ICallGrain>(CallKeys.Grain(id)).Resume();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed++;
                logger.LogWarning(ex, "Call {Call}: follow-up still failing", id);
            }
        }

        return ids.Count == 0 ? "no call waiting" : $"{ids.Count - failed} call(s) completed, {failed} still failing";
    }
}
