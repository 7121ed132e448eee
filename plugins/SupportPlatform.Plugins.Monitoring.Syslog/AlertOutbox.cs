using System.Text.Json;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Syslog;

/// <summary>
/// Alerts raised but not yet taken by the platform, kept in a file in the plugin's data folder until the platform has
/// stored them, so neither an unreachable database nor a restart loses one. Submission is retried with backoff; the
/// platform recognises a resubmitted alert as a duplicate, so a crash between its commit and our file write is harmless.
/// </summary>
internal sealed class AlertOutbox(string file, ILogger logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly List<MonitoringAlert> _pending = Load(file);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _signal = new(0);

    public string? LastError { get; private set; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    public void Add(MonitoringAlert alert)
    {
        lock (_lock)
        {
            _pending.Add(alert);
            Save();
        }

        _signal.Release();
    }

    public async Task RunAsync(IMonitoringAlertSink sink, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            List<MonitoringAlert> batch;
            lock (_lock)
            {
                batch = _pending.Take(100).ToList();
            }

            if (batch.Count == 0)
            {
                await _signal.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await sink.SubmitAsync(batch, cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    _pending.RemoveRange(0, batch.Count);
                    Save();
                }

                LastError = null;
                backoff = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (InvalidAlertException exception)
            {
                // Cannot happen for alerts this plugin builds; kept out of the way so the rest still go.
                logger.LogError(exception, "The platform refused a syslog alert; it is dropped: {Reason}", exception.Message);
                lock (_lock)
                {
                    _pending.RemoveRange(0, batch.Count);
                    Save();
                }
            }
            catch (Exception exception)
            {
                LastError = exception.Message;
                logger.LogWarning(exception, "Handing {Count} syslog alert(s) to the platform failed; retrying in {Delay}", batch.Count, backoff);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromSeconds(Math.Min(30, backoff.TotalSeconds * 2));
            }
        }
    }

    private void Save()
    {
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(_pending, Json));
        File.Move(temporary, file, overwrite: true);
    }

    private static List<MonitoringAlert> Load(string file) =>
        File.Exists(file) ? JsonSerializer.Deserialize<List<MonitoringAlert>>(File.ReadAllText(file), Json) ?? [] : [];
}
