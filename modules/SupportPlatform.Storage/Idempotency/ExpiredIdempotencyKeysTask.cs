using System.Globalization;
using SupportPlatform.Core;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Idempotency;

/// <summary>Hourly purge of expired idempotency records, so the table holds only keys that can still be replayed.</summary>
internal sealed class ExpiredIdempotencyKeysTask(IIdempotencyStore store) : IHousekeepingTask
{
    public string Name => "expired idempotency keys";

    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteExpiredAsync(cancellationToken);
        return string.Create(CultureInfo.InvariantCulture, $"{deleted} expired keys deleted");
    }
}
