using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.LiveQueue.Grains;

namespace SupportPlatform.LiveQueue.Publishing;

/// <summary>
/// <see cref="ILiveQueuePublisher"/>: a bounded queue (drop-oldest, counted) in front of a background pump that sends
/// batches to the hub grain. Publishing is a non-blocking write, so a ticket grain's turn never waits for the fan-out.
/// </summary>
internal sealed class LiveQueuePublisher : BackgroundService, ILiveQueuePublisher
{
    private const int MaxBatch = 256;
    private const int Attempts = 5;

    private readonly Channel<LiveChange> queue;
    private readonly IGrainFactory grains;
    private readonly TimeProvider clock;
    private readonly LiveQueueMetrics metrics;
    private readonly ILogger<LiveQueuePublisher> logger;

    public LiveQueuePublisher(IGrainFactory grains, TimeProvider clock, IOptions<LiveQueueOptions> options, LiveQueueMetrics metrics, ILogger<LiveQueuePublisher> logger)
    {
        this.grains = grains;
        this.clock = clock;
        this.metrics = metrics;
        this.logger = logger;
        queue = Channel.CreateBounded<LiveChange>(
            new BoundedChannelOptions(options.Value.PublishQueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => metrics.Dropped("queue-full"));
    }

    public void Publish(LiveChangeKind kind, LiveTicket? ticket, string? detail = null, DateTimeOffset? at = null)
    {
        metrics.Published();
        queue.Writer.TryWrite(new LiveChange(0, kind, at ?? clock.GetUtcNow(), ticket, detail));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<LiveChange>(MaxBatch);
        var reader = queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var change))
                {
                    batch.Add(change);
                }

                await ForwardAsync([.. batch], stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ForwardAsync(LiveChange[] changes, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grains.GetGrain<ILiveHubGrain>(0).Publish(changes);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException && attempt < Attempts && !stoppingToken.IsCancellationRequested)
            {
                // The hub's node may be going down; its next activation is found on the retry.
                logger.LogDebug(ex, "Forwarding {Count} live changes failed (attempt {Attempt})", changes.Length, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), stoppingToken);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
            {
                metrics.Dropped("hub-unreachable", changes.Length);
                logger.LogWarning(ex, "Dropped {Count} live changes: the live hub could not be reached", changes.Length);
                return;
            }
        }
    }
}
