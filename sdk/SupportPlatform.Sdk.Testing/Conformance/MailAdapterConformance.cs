using System.Globalization;
using System.Text;

namespace SupportPlatform.Sdk.Testing.Conformance;

/// <summary>
/// Checks an inbound mail adapter end to end through its protocol: a delivered message is stored before the adapter
/// acknowledges it to the sender, unchanged (so the host's Message-ID dedup works); the same message again is
/// acknowledged and stored once; while the host's sink fails the adapter does not acknowledge.
/// </summary>
public static class MailAdapterConformance
{
    private const string Capability = "inbound-mail";

    /// <summary>Runs the checks; the adapter must already be running (its background service started).</summary>
    /// <param name="harness">The plugin, loaded.</param>
    /// <param name="deliverAsync">
    /// Delivers a raw RFC 5322 message through the adapter's protocol (for SMTP: send it to the listener) and returns
    /// once the adapter acknowledged it (250); throws when the adapter refused it (a 4xx reply).
    /// </param>
    /// <param name="timeout">How long one delivery may take; default 10 s.</param>
    /// <returns>The report.</returns>
    public static async Task<ConformanceReport> RunAsync(PluginHarness harness, Func<byte[], CancellationToken, Task> deliverAsync, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(harness);
        ArgumentNullException.ThrowIfNull(deliverAsync);
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var report = new ConformanceReport();
        var before = harness.Mail.Stored.Count;

        // While the sink fails: the adapter must not acknowledge.
        var refused = Message("refused while the store is down");
        harness.FailHostServices(true);
        try
        {
            using var cts = new CancellationTokenSource(limit);
            await deliverAsync(refused, cts.Token).ConfigureAwait(false);
            report.Record(Capability, "does not acknowledge a message the host could not store", false,
                "the delivery was acknowledged although the sink threw; answer a temporary failure (SMTP 451) so the sender retries.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            report.Record(Capability, "does not acknowledge a message the host could not store", harness.Mail.Stored.Count == before, $"refused: {ex.Message}");
        }
        catch (OperationCanceledException)
        {
            report.Record(Capability, "does not acknowledge a message the host could not store", false, $"no answer within {limit.TotalSeconds:0} s");
        }
        finally
        {
            harness.FailHostServices(false);
        }

        var message = Message("conformance delivery");
        try
        {
            using var cts = new CancellationTokenSource(limit);
            await deliverAsync(message, cts.Token).ConfigureAwait(false);
            var stored = harness.Mail.Stored.Skip(before).ToList();
            var id = RecordingMailSink.MessageId(message);
            var ok = stored.Count == 1 && RecordingMailSink.MessageId(stored[0].Content.Span) == id
                && Encoding.UTF8.GetString(stored[0].Content.Span).Contains("conformance delivery", StringComparison.Ordinal);
            report.Record(Capability, "stores a message, unchanged, before acknowledging it", ok,
                ok ? "stored" : $"{stored.Count} messages stored after the delivery was acknowledged; hand the raw message to IInboundMailSink and acknowledge only after it returns.");

            using var again = new CancellationTokenSource(limit);
            await deliverAsync(message, again.Token).ConfigureAwait(false);
            var afterRepeat = harness.Mail.Stored.Count - before;
            report.Record(Capability, "stores the same message once", afterRepeat == 1, $"{afterRepeat} stored after delivering it twice");
        }
        catch (Exception ex)
        {
            report.Record(Capability, "stores a message, unchanged, before acknowledging it", false, $"the delivery failed: {ex.GetType().Name} ({ex.Message})");
        }

        return report;
    }

    private static byte[] Message(string text)
    {
        var id = Guid.NewGuid().ToString("n");
        var date = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetBytes(
            $"From: Conformance <conformance@example.test>\r\nTo: support@example.test\r\nSubject: {text}\r\nDate: {date}\r\nMessage-ID: <{id}@conformance.example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n");
    }
}
