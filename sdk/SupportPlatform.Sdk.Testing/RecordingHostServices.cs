using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Telephony;

namespace SupportPlatform.Sdk.Testing;

/// <summary>The failure a recording host service throws while told to fail, as storage that is down would.</summary>
public sealed class HostServiceUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HostServiceUnavailableException()
        : base("The host service is unavailable (simulated by the plugin harness).")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    public HostServiceUnavailableException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public HostServiceUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// An <see cref="IMonitoringAlertSink"/> that keeps alerts in memory with the host's rules: each batch is validated
/// (<see cref="InvalidAlertException"/>, nothing stored), an alert with the same source, dedup key, state and time is a
/// <see cref="AlertDisposition.Duplicate"/>, a cancelled token throws before anything is stored.
/// </summary>
public sealed class RecordingAlertSink : IMonitoringAlertSink
{
    private readonly ConcurrentDictionary<(string Source, string DedupKey, AlertState State, DateTimeOffset At), MonitoringAlert> stored = new();
    private readonly ConcurrentQueue<MonitoringAlert> stores = new();
    private int submissions;

    /// <summary>While <see langword="true"/>, every call throws <see cref="HostServiceUnavailableException"/>.</summary>
    public bool Fail { get; set; }

    /// <summary>The alerts stored, once each, in the order first stored.</summary>
    public IReadOnlyList<MonitoringAlert> Stored => [.. stores];

    /// <summary>How many batches were submitted (including duplicates and failures).</summary>
    public int Submissions => submissions;

    /// <inheritdoc />
    public Task<IReadOnlyList<AlertReceipt>> SubmitAsync(IReadOnlyList<MonitoringAlert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        Interlocked.Increment(ref submissions);
        cancellationToken.ThrowIfCancellationRequested();
        if (Fail)
        {
            throw new HostServiceUnavailableException("The alert store is unavailable (simulated by the plugin harness).");
        }

        for (var i = 0; i < alerts.Count; i++)
        {
            if (alerts[i].Validate() is { Count: > 0 } problems)
            {
                throw new InvalidAlertException($"Alert {i + 1}: {string.Join(" ", problems)}");
            }
        }

        var receipts = new List<AlertReceipt>(alerts.Count);
        foreach (var alert in alerts)
        {
            var added = stored.TryAdd((alert.Source, alert.DedupKey, alert.State, alert.OccurredAt), alert);
            if (added)
            {
                stores.Enqueue(alert);
            }

            receipts.Add(new AlertReceipt(added ? AlertDisposition.Unmapped : AlertDisposition.Duplicate, null, null, null));
        }

        return Task.FromResult<IReadOnlyList<AlertReceipt>>(receipts);
    }
}

/// <summary>
/// An <see cref="ITelephonyService"/> that keeps call events in memory with the host's rules: one event per
/// (provider, call id, event id), cancellation honoured, and a configurable route.
/// </summary>
public sealed class RecordingTelephonyService : ITelephonyService
{
    private readonly ConcurrentDictionary<(string Provider, string CallId, string EventId), CallEvent> events = new();
    private readonly ConcurrentQueue<CallEvent> order = new();
    private readonly ConcurrentQueue<IncomingCall> routed = new();

    /// <summary>While <see langword="true"/>, every call throws <see cref="HostServiceUnavailableException"/>.</summary>
    public bool Fail { get; set; }

    /// <summary>The route every call gets; by default ring <c>+15550100</c> for 20 s.</summary>
    public CallRoute Route { get; set; } = new(CallRouteAction.Dial, ["+15550100"], RingStrategy.Simultaneous, TimeSpan.FromSeconds(20),
        "Thank you for calling support.", TimeSpan.FromMinutes(3), Transcribe: false, "plugin harness");

    /// <summary>The events stored, once each, in the order first stored.</summary>
    public IReadOnlyList<CallEvent> Events => [.. order];

    /// <summary>The calls the adapter asked to route, in order (repeats included).</summary>
    public IReadOnlyList<IncomingCall> RoutedCalls => [.. routed];

    /// <inheritdoc />
    public Task<CallRoute> RouteCallAsync(IncomingCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        cancellationToken.ThrowIfCancellationRequested();
        if (Fail)
        {
            throw new HostServiceUnavailableException("Routing is unavailable (simulated by the plugin harness).");
        }

        routed.Enqueue(call);
        return Task.FromResult(Route);
    }

    /// <inheritdoc />
    public Task<CallEventResult> ReportAsync(CallEvent callEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(callEvent);
        cancellationToken.ThrowIfCancellationRequested();
        if (Fail)
        {
            throw new HostServiceUnavailableException("The call log is unavailable (simulated by the plugin harness).");
        }

        if (string.IsNullOrWhiteSpace(callEvent.Provider) || string.IsNullOrWhiteSpace(callEvent.CallId) || string.IsNullOrWhiteSpace(callEvent.EventId))
        {
            throw new ArgumentException("A call event needs a provider, a call id and an event id (the same on every retry of the same callback).", nameof(callEvent));
        }

        var added = events.TryAdd((callEvent.Provider, callEvent.CallId, callEvent.EventId), callEvent);
        if (added)
        {
            order.Enqueue(callEvent);
        }

        return Task.FromResult(new CallEventResult(!added, null, null));
    }
}

/// <summary>
/// An <see cref="IInboundMailSink"/> that keeps messages in memory with the host's rules: one import per Message-ID
/// (or per content when there is none), later offers answered <see cref="InboundMailDisposition.Duplicate"/>,
/// cancellation honoured.
/// </summary>
public sealed class RecordingMailSink : IInboundMailSink
{
    private readonly ConcurrentDictionary<string, InboundMail> byKey = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<InboundMail> order = new();
    private readonly ConcurrentQueue<InboundSourceStatus> statuses = new();
    private int offers;

    /// <summary>While <see langword="true"/>, every call throws <see cref="HostServiceUnavailableException"/>.</summary>
    public bool Fail { get; set; }

    /// <inheritdoc />
    public long MaxMessageBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>The messages stored, once each, in the order first stored.</summary>
    public IReadOnlyList<InboundMail> Stored => [.. order];

    /// <summary>How many times a message was offered (duplicates and failures included).</summary>
    public int Offers => offers;

    /// <summary>The source reports received, in order.</summary>
    public IReadOnlyList<InboundSourceStatus> SourceStatuses => [.. statuses];

    /// <summary>Raised after a message is stored for the first time (on the adapter's thread).</summary>
    public event EventHandler<InboundMail>? MessageStored;

    /// <inheritdoc />
    public Task<InboundMailResult> AcceptAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        Interlocked.Increment(ref offers);
        cancellationToken.ThrowIfCancellationRequested();
        if (Fail)
        {
            throw new HostServiceUnavailableException("The mail store is unavailable (simulated by the plugin harness).");
        }

        var key = MessageId(mail.Content.Span) ?? Convert.ToHexString(SHA256.HashData(mail.Content.Span));
        if (!byKey.TryAdd(key, mail))
        {
            return Task.FromResult(new InboundMailResult(InboundMailDisposition.Duplicate, null, "imported before"));
        }

        order.Enqueue(mail);
        MessageStored?.Invoke(this, mail);
        return Task.FromResult(new InboundMailResult(InboundMailDisposition.Triaged, null, "plugin harness"));
    }

    /// <inheritdoc />
    public Task ReportSourceStatusAsync(InboundSourceStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        cancellationToken.ThrowIfCancellationRequested();
        statuses.Enqueue(status);
        return Task.CompletedTask;
    }

    /// <summary>The Message-ID header of a raw message, or <see langword="null"/>.</summary>
    /// <param name="content">The raw RFC 5322 message.</param>
    /// <returns>The header's value, trimmed.</returns>
    public static string? MessageId(ReadOnlySpan<byte> content)
    {
        var text = Encoding.Latin1.GetString(content[..Math.Min(content.Length, 64 * 1024)]);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var crlf and >= 0 ? crlf : text.IndexOf("\n\n", StringComparison.Ordinal);
        var headers = end >= 0 ? text[..end] : text;
        foreach (var line in headers.Split('\n'))
        {
            if (line.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase))
            {
                var value = line["Message-ID:".Length..].Trim();
                return value.Length > 0 ? value : null;
            }
        }

        return null;
    }
}

/// <summary>
/// A recording <see cref="SupportPlatform.Sdk.Ticketing.ITicketingSink"/> with the host's rules: a notification for
/// a help desk ticket already waiting is not queued twice (the host bumps the waiting row instead), cancellation is
/// honoured, and it can be told to fail.
/// </summary>
public sealed class RecordingTicketingSink : SupportPlatform.Sdk.Ticketing.ITicketingSink
{
    private readonly ConcurrentDictionary<(string System, string TicketId), byte> waiting = new();
    private readonly ConcurrentQueue<(string System, string TicketId)> order = new();
    private int notifications;

    /// <summary>While <see langword="true"/>, every call throws <see cref="HostServiceUnavailableException"/>.</summary>
    public bool Fail { get; set; }

    /// <summary>The tickets queued, once each, in the order first queued.</summary>
    public IReadOnlyList<(string System, string TicketId)> Queued => [.. order];

    /// <summary>How many notifications arrived (repeats included; failures and cancelled ones not).</summary>
    public int Notifications => notifications;

    /// <inheritdoc />
    public Task TicketChangedAsync(string system, string ticketId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(system);
        ArgumentException.ThrowIfNullOrWhiteSpace(ticketId);
        cancellationToken.ThrowIfCancellationRequested();
        if (Fail)
        {
            throw new HostServiceUnavailableException("The sync queue is unavailable (simulated by the plugin harness).");
        }

        Interlocked.Increment(ref notifications);
        if (waiting.TryAdd((system, ticketId), 0))
        {
            order.Enqueue((system, ticketId));
        }

        return Task.CompletedTask;
    }
}
