using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Host.Hosting;

/// <summary>
/// Holds the install's shared <see cref="HostLock"/> while the host runs (first of the hosted services, before the
/// migrations): <c>supportctl restore</c> sees it and refuses, and a host does not start while a restore holds the
/// exclusive lock.
/// </summary>
internal sealed class HostLockService(PlatformConfiguration platform, ILogger<HostLockService> logger) : IHostedService, IAsyncDisposable
{
    private HostLock? _lock;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _lock = await HostLock.AcquireForHostAsync(platform.DataPath, platform.Database, cancellationToken);
        logger.LogDebug("Holding the host lock on {DataPath}", platform.DataPath);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        var held = Interlocked.Exchange(ref _lock, null);
        if (held is not null)
        {
            await held.DisposeAsync();
        }
    }
}
