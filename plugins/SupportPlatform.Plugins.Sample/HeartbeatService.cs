using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Sample;

/// <summary>Logs a heartbeat every configured interval, on the host's clock (a fake one in tests).</summary>
internal sealed partial class HeartbeatService(SampleOptions options, TimeProvider timeProvider, ILogger<HeartbeatService> logger)
    : IPluginBackgroundService
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var beats = 0L;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(options.HeartbeatInterval, timeProvider, cancellationToken).ConfigureAwait(false);
                beats++;
                LogHeartbeat(logger, beats, options.Greeting, timeProvider.GetUtcNow());
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal end of a background service.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Heartbeat {Beat} from the sample plugin: {Greeting} (at {Now:O})")]
    private static partial void LogHeartbeat(ILogger logger, long beat, string greeting, DateTimeOffset now);
}
