using System.Collections.Concurrent;
using System.Text.Json;
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
    private readonly ConcurrentDictionary<string, InFlight> inFlight = new(StringComparer.Ordinal);
    private long sequence;

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

        // Registered before the first wait, so a reply handed over after its parent (an adapter offering a batch
        // concurrently, in order) finds the parent here and waits for it before looking for its ticket.
        var self = new InFlight(Interlocked.Increment(ref sequence), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var registered = parsed.MessageId is { } own && inFlight.TryAdd(own, self);
        try
        {
            var parents = parsed.References
                .Select(r => inFlight.TryGetValue(r, out var parent) && parent.Sequence < self.Sequence ? parent.Done.Task : null)
                .OfType<Task>()
                .ToList();
            if (parents.Count > 0)
            {
                await Task.WhenAll(parents).WaitAsync(cancellationToken);
            }

            return await AcceptParsedAsync(mail, parsed, key, cancellationToken);
        }
        finally
        {
            if (registered)
            {
                inFlight.TryRemove(new KeyValuePair<string, InFlight>(parsed.MessageId!, self));
            }

            self.Done.TrySetResult();
        }
    }

    private async Task<InboundMailResult> AcceptParsedAsync(InboundMail mail, ParsedMail parsed, string key, CancellationToken cancellationToken)
    {
        var row = new InboundRow
        {
            Id = Guid.NewGuid().ToString("N"),
            ImportKey = key,
            SourceId = mail.SourceId,
            SourceKey = mail.SourceKey,
            MessageId = parsed.MessageId,
            FromAddress = parsed.From,
            EnvelopeFrom = mail.EnvelopeFrom,
            Subject = Cut(parsed.Subject, 500),
            Size = mail.Content.Length,
            OriginalSize = mail.OriginalSize,
            ReceivedAtMs = mail.ReceivedAt.ToUnixTimeMilliseconds(),
            StoredAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            State = "stored",
        };

        // The plan is decided first and stored with the raw message in one insert (no separate plan write, no read-back).
        // A message offered again finds its row; a plan decided for it is then dropped (its ticket number stays unused).
        var plan = await processor.DecideNewAsync(row, parsed, cancellationToken);
        var inserted = await store.InsertAsync(new
        {
            id = row.Id,
            import_key = key,
            source_id = row.SourceId,
            source_key = row.SourceKey,
            message_id = row.MessageId,
            thread_index = parsed.ThreadIndexRoot,
            from_address = row.FromAddress,
            envelope_from = row.EnvelopeFrom,
            subject = row.Subject,
            size = row.Size,
            original_size = row.OriginalSize,
            raw = mail.Content.ToArray(),
            received_at_ms = row.ReceivedAtMs,
            stored_at_ms = row.StoredAtMs,
            plan = plan is null ? null : JsonSerializer.Serialize(plan, InboundStore.Json),
            ticket_id = plan?.TicketId,
            account_id = plan?.AccountId,
        }, cancellationToken);

        if (inserted)
        {
            var result = plan is null ? await processor.ProcessAsync(row.Id, parsed, cancellationToken) : await processor.ProcessNewAsync(row, parsed, plan, cancellationToken);
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

    /// <summary>A message being accepted on this node: its order of arrival and when it is through.</summary>
    private sealed record InFlight(long Sequence, TaskCompletionSource Done);
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
