using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Writes what requests only collect: queued audit entries (as they come, in batches) and token last-used times
/// (every <see cref="UsageInterval"/>). Flushes both when the host stops.
/// </summary>
internal sealed partial class IdentityBackgroundWriter(AuditLog audit, AuditStore auditStore, TokenUsage usage, TokenStore tokens, ILogger<IdentityBackgroundWriter> logger)
    : BackgroundService
{
    public static readonly TimeSpan UsageInterval = TimeSpan.FromSeconds(30);
    private const int BatchSize = 500;
    private readonly SemaphoreSlim flushing = new(1, 1);
    private readonly List<PendingAudit> unwritten = new(BatchSize);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAuditAsync(CancellationToken.None);
        await FlushUsageAsync(CancellationToken.None);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextUsage = DateTime.UtcNow + UsageInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Wakes on the first queued entry or at the next usage flush, whichever comes first.
                // A batch that failed to write is retried at once (after the 1 s pause below), not on the next entry.
                var wait = nextUsage - DateTime.UtcNow;
                if (wait > TimeSpan.Zero && unwritten.Count == 0)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(wait);
                    try
                    {
                        await audit.Queued.WaitToReadAsync(timeout.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                    }
                }

                await FlushAuditAsync(stoppingToken);
                if (DateTime.UtcNow >= nextUsage)
                {
                    nextUsage = DateTime.UtcNow + UsageInterval;
                    await FlushUsageAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFlushFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>
    /// Writes every queued audit entry now, in batches, and releases the requests waiting for them. A batch that
    /// fails to write is kept (its requests keep waiting) and is the first written on the next attempt.
    /// </summary>
    public async Task FlushAuditAsync(CancellationToken cancellationToken)
    {
        await flushing.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                while (unwritten.Count < BatchSize && audit.Queued.TryRead(out var pending))
                {
                    unwritten.Add(pending);
                }

                if (unwritten.Count == 0)
                {
                    return;
                }

                await auditStore.WriteAsync([.. unwritten.Select(p => p.Entry)], cancellationToken);
                foreach (var pending in unwritten)
                {
                    pending.Stored.TrySetResult();
                }

                unwritten.Clear();
            }
        }
        finally
        {
            flushing.Release();
        }
    }

    public Task FlushUsageAsync(CancellationToken cancellationToken) => tokens.WriteLastUsedAsync(usage.Drain(), cancellationToken);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing audit entries or token usage failed; retrying")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
