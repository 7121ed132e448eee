using System.Data.Common;
using System.Text.Json;
using Dapper;
using MimeKit.Utils;
using SupportPlatform.Core.Mail;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Email.Outbox;

/// <summary>The <see cref="IOutboundMail"/> outbox: validates a message, gives it its Message-ID and stores it.</summary>
internal sealed class MailOutbox(IDatabase database, TimeProvider clock, MailSignal signal) : IOutboundMail
{
    public async Task<string> EnqueueAsync(OutboundMail mail, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await InsertAsync(connection, transaction, mail, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Wake();
        return id;
    }

    public async Task<string> EnqueueAsync(OutboundMail mail, DbTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var id = await InsertAsync(transaction.Connection!, transaction, mail, cancellationToken);

        // Woken before the caller commits: the dispatcher then finds nothing yet, and the next poll sends it.
        signal.WakeSoon();
        return id;
    }

    private async Task<string> InsertAsync(DbConnection connection, DbTransaction transaction, OutboundMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        if (!MimeKit.MailboxAddress.TryParse(mail.To, out _))
        {
            throw new ArgumentException($"'{mail.To}' is not an email address.", nameof(mail));
        }

        if (string.IsNullOrWhiteSpace(mail.Subject) || mail.Subject.Contains('\n', StringComparison.Ordinal) || mail.Subject.Contains('\r', StringComparison.Ordinal))
        {
            throw new ArgumentException("A message needs a one-line subject.", nameof(mail));
        }

        foreach (var image in mail.InlineImages ?? [])
        {
            if (string.IsNullOrWhiteSpace(image.ContentId) || image.ContentId.Any(c => c is '<' or '>' or ' ' or '\r' or '\n')
                || !MimeKit.ContentType.TryParse(image.MediaType, out _) || image.Content is not { Length: > 0 })
            {
                throw new ArgumentException($"Inline image '{image.ContentId}' needs a Content-ID without brackets or spaces, a media type and content.", nameof(mail));
            }
        }

        var id = Guid.NewGuid().ToString("N");
        var messageId = mail.Headers?.GetValueOrDefault("Message-ID")?.Trim('<', '>') ?? MimeUtils.GenerateMessageId("supportplatform.local");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_mail_outbox (id, message_id, to_address, subject, text_body, html_body, purpose, headers, status, attempts,
                next_attempt_at_ms, created_at_ms, inline_images)
            VALUES (@id, @message_id, @to, @subject, @text, @html, @purpose, @headers, 'pending', 0, @now, @now, @inline)
            """,
            new
            {
                id,
                message_id = messageId,
                to = mail.To,
                subject = mail.Subject,
                text = mail.TextBody,
                html = mail.HtmlBody,
                purpose = mail.Purpose,
                headers = mail.Headers is { Count: > 0 } h ? JsonSerializer.Serialize(h) : null,
                now,
                inline = mail.InlineImages is { Count: > 0 } images
                    ? JsonSerializer.Serialize(images.Select(i => new StoredInlineImage(i.ContentId, i.MediaType, Convert.ToBase64String(i.Content))))
                    : null,
            },
            transaction,
            cancellationToken: cancellationToken));
        return id;
    }
}

/// <summary>An inline image as stored in <c>sp_mail_outbox.inline_images</c> (JSON).</summary>
internal sealed record StoredInlineImage(string ContentId, string MediaType, string Base64);

/// <summary>Wakes the dispatcher when a message was stored, so delivery does not wait for the next poll.</summary>
internal sealed class MailSignal
{
    private readonly SemaphoreSlim wake = new(0, 1);

    public void Wake()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    private int wakeScheduled;

    /// <summary>
    /// Wakes after a short delay, for messages whose transaction commits after the enqueue call. Calls while a wake-up
    /// is already scheduled share it (one timer, not one per message, when tickets pour in).
    /// </summary>
    public void WakeSoon()
    {
        if (Interlocked.Exchange(ref wakeScheduled, 1) == 0)
        {
            _ = Task.Delay(TimeSpan.FromMilliseconds(200)).ContinueWith(_ =>
            {
                Volatile.Write(ref wakeScheduled, 0);
                Wake();
            }, TaskScheduler.Default);
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => wake.WaitAsync(timeout, cancellationToken);
}
