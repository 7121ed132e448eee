using SupportPlatform.Monitoring.Persistence;

namespace SupportPlatform.Monitoring.Intake;

/// <summary>
/// Which system a host name belongs to, cached per node: every alert is looked up here, so it must not cost a query.
/// Re-read after a local change at once and every few seconds otherwise (changes made on another node of a cluster).
/// </summary>
internal sealed class HostDirectory(MonitoringStore store, TimeProvider clock)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim reload = new(1, 1);
    private volatile Snapshot? current;

    public void Invalidate() => current = null;

    public async Task<string?> ResolveAsync(string hostName, CancellationToken cancellationToken)
    {
        var snapshot = current;
        if (snapshot is null || clock.GetUtcNow() - snapshot.ReadAt > Lifetime)
        {
            await reload.WaitAsync(cancellationToken);
            try
            {
                snapshot = current;
                if (snapshot is null || clock.GetUtcNow() - snapshot.ReadAt > Lifetime)
                {
                    snapshot = current = new Snapshot(await store.HostMapAsync(cancellationToken), clock.GetUtcNow());
                }
            }
            finally
            {
                reload.Release();
            }
        }

        return snapshot.Map.GetValueOrDefault(hostName);
    }

    private sealed record Snapshot(Dictionary<string, string> Map, DateTimeOffset ReadAt);
}
