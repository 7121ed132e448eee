using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Email.Inbound;

/// <summary>
/// The host's <see cref="IInboundMailSink"/>: stores the raw message under its import key first (one row, unique key),
/// then processes it. Returns only when the outcome is stored; a crash in between leaves a stored row that
/// <see cref="InboundRecovery"/> processes at the next start.
/// </summary>
internal sealed class InboundMailSink(
    InboundStore store,
    InboundProcessor processor,
    IOptionsMonitor<InboundOptions> options,
    TimeProvider clock,
    ILogger<InboundMailSink> logger) : IInboundMailSink
{
    public long MaxMessageBytes => options.CurrentValue.MaxMessageBytes;

    public async Task<InboundMailResult> AcceptAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        if (!InboundSources.IsValidId(mail.SourceId))
        {
            throw new ArgumentException($"'{mail.SourceId}' is not a source id: use 1 to 64 letters, digits and ':._-'.", nameof(mail));
        }

        if (mail.Content.IsEmpty)
        {
            throw new ArgumentException("The message is empty.", nameof(mail));
        }

        var parsed = ParsedMail.Parse(mail.Content, mail.EnvelopeFrom);
        var key = ParsedMail.ImportKey(parsed.MessageId, mail.Content.Span);
        var id = Guid.NewGuid().ToString("N");
        var inserted = await store.InsertAsync(new
        {
            id,
            import_key = key,
            source_id = mail.SourceId,
            source_key = mail.SourceKey,
            message_id = parsed.MessageId,
            thread_index = parsed.ThreadIndexRoot,
            from_address = parsed.From,
            envelope_from = mail.EnvelopeFrom,
            subject = Cut(parsed.Subject, 500),
            size = (long)mail.Content.Length,
            original_size = mail.OriginalSize,
            raw = mail.Content.ToArray(),
            received_at_ms = mail.ReceivedAt.ToUnixTimeMilliseconds(),
            stored_at_ms = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        }, cancellationToken);

        if (inserted)
        {
            var result = await processor.ProcessAsync(id, parsed, cancellationToken);
            logger.LogInformation("Mail {Key} from {Source}: {Disposition} {Ticket} {Reason}", key, mail.SourceId, result.Disposition, result.TicketId, result.Reason);
            return result;
        }

        var existing = await store.FindAsync(null, key, cancellationToken) ?? throw new InvalidOperationException($"Inbound mail {key} vanished.");
        var first = existing.State == "done" ? InboundProcessor.Result(existing) : await processor.ProcessAsync(existing.Id, parsed, cancellationToken);
        return new InboundMailResult(InboundMailDisposition.Duplicate, first.TicketId,
            $"Already imported ({existing.ImportKey}): {first.Disposition}{(first.Reason is null ? "" : " - " + first.Reason)}");
    }

    public async Task ReportSourceStatusAsync(InboundSourceStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!InboundSources.IsValidId(status.SourceId))
        {
            throw new ArgumentException($"'{status.SourceId}' is not a source id.", nameof(status));
        }

        await using var connection = await store.Database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_inbound_sources (source_id, description, messages_at_source, checked_at_ms, error, reported_at_ms)
            VALUES (@SourceId, @Description, @MessagesAtSource, @checked, @Error, @now)
            ON CONFLICT (source_id) DO UPDATE SET description = excluded.description, messages_at_source = excluded.messages_at_source,
                checked_at_ms = excluded.checked_at_ms, error = excluded.error, reported_at_ms = excluded.reported_at_ms
            """,
            new { status.SourceId, Description = Cut(status.Description, 500), status.MessagesAtSource, @checked = status.CheckedAt.ToUnixTimeMilliseconds(), status.Error, now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}

internal static class InboundSources
{
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is ':' or '.' or '_' or '-');
}

/// <summary>
/// Processes messages that were stored but not processed: at start (a crash between storing and processing) and then
/// every minute (a processing error the adapter was told about, whose source may never offer the message again).
/// </summary>
internal sealed class InboundRecovery(InboundStore store, InboundProcessor processor, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<InboundRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The silo must be up before tickets can be written.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try
            {
                await started.Task;
            }
            catch (TaskCanceledException)
            {
                return;
            }
        }

        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var before = clock.GetUtcNow() - (first ? TimeSpan.Zero : TimeSpan.FromMinutes(1));
                var ids = await store.UnprocessedAsync(before.ToUnixTimeMilliseconds(), stoppingToken);
                if (ids.Count > 0)
                {
                    logger.LogInformation("Processing {Count} stored but unprocessed inbound messages", ids.Count);
                }

                await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = stoppingToken }, async (id, ct) =>
                {
                    try
                    {
                        await processor.ProcessAsync(id, null, ct);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        logger.LogWarning(ex, "Inbound mail {Id} could not be processed; retrying later", id);
                    }
                });
                first = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Inbound mail recovery pass failed");
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(first ? 5 : 60), clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
