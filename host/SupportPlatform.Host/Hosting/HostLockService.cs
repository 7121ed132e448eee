using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Host.Hosting;

/// <summary>
/// Holds the install's shared <see cref="HostLock"/> while the host runs (first of the hosted services, before the
/// migrations): <c>supportctl restore</c> sees it and refuses, and a host does not start while a restore holds the
/// exclusive lock. On PostgreSQL the database lock lives on one connection, which a database restart cuts: it is
/// checked every <see cref="CheckInterval"/> and taken again.
/// </summary>
internal sealed class HostLockService(PlatformConfiguration platform, ILogger<HostLockService> logger) : IHostedService, IAsyncDisposable
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopping = new();
    private HostLock? _lock;
    private Task? _watch;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _lock = await HostLock.AcquireForHostAsync(platform.DataPath, platform.Database, cancellationToken);
        logger.LogDebug("Holding the host lock on {DataPath}", platform.DataPath);
        if (platform.Database.Provider == DatabaseProvider.PostgreSql)
        {
            _watch = Task.Run(() => WatchAsync(_lock, _stopping.Token), CancellationToken.None);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
        }

        if (_watch is { } watch)
        {
            await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var held = Interlocked.Exchange(ref _lock, null);
        if (held is not null)
        {
            await held.DisposeAsync();
        }
    }

    private async Task WatchAsync(HostLock hostLock, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(CheckInterval);
        var held = true;
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                bool now;
                try
                {
                    now = await hostLock.RefreshAsync(platform.Database, stopping);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogDebug(ex, "Checking the database's host lock failed");
                    now = false;
                }

                if (now != held)
                {
                    if (now)
                    {
                        logger.LogInformation("Holding the database's host lock again");
                    }
                    else
                    {
                        logger.LogWarning("Lost the database's host lock (the database is unreachable, or 'supportctl restore' holds it); trying again every {Interval}", CheckInterval);
                    }
                }

                held = now;
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
