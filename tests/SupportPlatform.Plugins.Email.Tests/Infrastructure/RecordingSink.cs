using System.Collections.Concurrent;
using MimeKit;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Plugins.Email.Tests.Infrastructure;

/// <summary>
/// An <see cref="IInboundMailSink"/> that records what it is offered and "stores" each Message-ID once, like the real
/// one (idempotent), and can be told to fail or to hang.
/// </summary>
internal sealed class RecordingSink : IInboundMailSink
{
    private readonly ConcurrentQueue<InboundMail> _offered = new();
    private readonly ConcurrentDictionary<string, InboundMail> _stored = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<InboundSourceStatus> _statuses = new();

    public long MaxMessageBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>Throw this for a message (before storing it) when it returns non-null.</summary>
    public Func<InboundMail, Exception?>? FailWhen { get; set; }

    /// <summary>Store the message, then wait here (until cancelled) when it returns true: plays a crash after the commit.</summary>
    public Func<InboundMail, bool>? HangAfterStoring { get; set; }

    /// <summary>Called when a message is accepted, before the call returns (to check what the source holds at that moment).</summary>
    public Func<InboundMail, Task>? BeforeReturning { get; set; }

    public IReadOnlyList<InboundMail> Offered => [.. _offered];

    public IReadOnlyDictionary<string, InboundMail> Stored => _stored;

    public IReadOnlyList<InboundSourceStatus> Statuses => [.. _statuses];

    public static string MessageIdOf(InboundMail mail)
    {
        using var stream = new MemoryStream(mail.Content.ToArray());
        var headers = HeaderList.Load(stream);
        return headers[HeaderId.MessageId]?.Trim().Trim('<', '>') ?? throw new InvalidOperationException("The test message has no Message-ID.");
    }

    public async Task<InboundMailResult> AcceptAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        _offered.Enqueue(mail);
        if (FailWhen?.Invoke(mail) is { } failure)
        {
            throw failure;
        }

        var id = MessageIdOf(mail);
        var first = _stored.TryAdd(id, mail);
        if (first && HangAfterStoring?.Invoke(mail) == true)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (BeforeReturning is not null)
        {
            await BeforeReturning(mail);
        }

        return first
            ? new InboundMailResult(mail.OriginalSize is null ? InboundMailDisposition.TicketCreated : InboundMailDisposition.Quarantined, "T-1", null)
            : new InboundMailResult(InboundMailDisposition.Duplicate, "T-1", "seen before");
    }

    public Task ReportSourceStatusAsync(InboundSourceStatus status, CancellationToken cancellationToken)
    {
        _statuses.Enqueue(status);
        return Task.CompletedTask;
    }
}
