using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.Security;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Email.Inbound;

/// <summary>The inbound mail API: <c>/api/mail</c> (intake for a pipe command, quarantine, triage, reconciliation).</summary>
internal static class InboundApi
{
    public static void MapInboundMailApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/mail").WithTags("Inbound mail").RequireAuthorization(PlatformPolicies.Staff);

        group.MapPost("/inbound/{sourceId}", Intake)
            .WithName("PostInboundMail")
            .WithSummary("Imports one raw RFC 5322 message (the request body), e.g. from the mail pipe command; 200 only once it is stored. Optional X-Envelope-From header.");
        group.MapGet("/quarantine", (InboundStore store, CancellationToken ct) => ListAsync(store, "disposition = 'quarantined' AND hold IS NOT NULL", null, ct))
            .WithName("ListQuarantinedMail").WithSummary("Messages held in quarantine (unparseable, oversized, looping, suspicious), oldest first.");
        group.MapGet("/quarantine/{id}", Inspect).WithName("GetQuarantinedMail").WithSummary("One message: reason, headers, text.");
        group.MapGet("/quarantine/{id}/raw", Raw).WithName("DownloadQuarantinedMail").WithSummary("The message as received (message/rfc822).");
        group.MapPost("/quarantine/{id}/release", Release)
            .WithName("ReleaseQuarantinedMail").WithSummary("Processes the message again, ignoring the reason that held it; answers with the new outcome.");
        group.MapPost("/quarantine/{id}/discard", Discard)
            .WithName("DiscardQuarantinedMail").WithSummary("Discards a held message; the record (and who discarded it, and why) stays.");
        group.MapGet("/triage", (InboundStore store, CancellationToken ct) => ListAsync(store, "disposition = 'triaged' AND hold = 'triage'", null, ct))
            .WithName("ListTriagedMail").WithSummary("Mail from senders that match no client account, oldest first.");
        group.MapPost("/triage/{id}/assign", Assign)
            .WithName("AssignTriagedMail").WithSummary("Opens a ticket for the message in the given account (requester: the given user, else the sender's address), from the time the mail was received.");
        group.MapGet("/messages", (long? ticketId, InboundStore store, CancellationToken ct) => ticketId is null
                ? Task.FromResult(Problem(StatusCodes.Status400BadRequest, "ticket-required", "Give ?ticketId= to list the mail of a ticket."))
                : ListAsync(store, "ticket_id = @ticketId", new { ticketId }, ct))
            .WithName("ListTicketMail").WithSummary("The imported mail of a ticket.");
        group.MapGet("/messages/{id}", Inspect).WithName("GetInboundMail").WithSummary("One imported message: new text, quoted history, signature and sanitised HTML apart, headers, outcome.");
        group.MapGet("/messages/{id}/raw", Raw).WithName("DownloadInboundMail").WithSummary("The message as received (message/rfc822).");
        group.MapGet("/sources", Sources)
            .WithName("ReconcileMailSources").WithSummary("Per source: what it last reported holding, against what was imported, by outcome.");
        group.MapGet("/addresses", Addresses)
            .WithName("ListMailAddresses").WithSummary("Correspondent addresses the platform marked: bounces (with the report's status) and auto-reply counts.");
    }

    private static async Task<IResult> Intake(string sourceId, HttpContext http, IInboundMailSink sink, TimeProvider clock)
    {
        if (!InboundSources.IsValidId(sourceId))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid-source", $"'{sourceId}' is not a source id: use 1 to 64 letters, digits and ':._-' (e.g. 'pipe' or 'pipe:support').");
        }

        var receivedAt = clock.GetUtcNow();
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // Oversized mail must still be recorded (and its sender told), so the body is read past the limit, keeping only the head.
            limit.MaxRequestBodySize = null;
        }

        var max = sink.MaxMessageBytes;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (total + read <= max)
            {
                buffer.Write(chunk, 0, read);
            }
            else if (buffer.Length < max)
            {
                buffer.Write(chunk, 0, (int)(max - buffer.Length));
            }

            total += read;
        }

        if (total == 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "empty-message", "The request body is empty; send the raw message (RFC 5322) as the body.");
        }

        ReadOnlyMemory<byte> content = buffer.ToArray();
        long? originalSize = null;
        if (total > max)
        {
            originalSize = total;
            var span = content.Span;
            var end = span.IndexOf("\r\n\r\n"u8) is var crlf and >= 0 ? crlf + 4 : span.IndexOf("\n\n"u8) is var lf and >= 0 ? lf + 2 : Math.Min(span.Length, 64 * 1024);
            content = content[..end];
        }

        var envelope = http.Request.Headers["X-Envelope-From"].ToString();
        var result = await sink.AcceptAsync(new InboundMail(sourceId, null, content, receivedAt)
        {
            OriginalSize = originalSize,
            EnvelopeFrom = http.Request.Headers.ContainsKey("X-Envelope-From") ? envelope.Trim().Trim('<', '>') : null,
        }, http.RequestAborted);
        return Results.Ok(new
        {
            disposition = Kebab(result.Disposition.ToString()),
            ticketId = result.TicketId,
            reason = result.Reason,
        });
    }

    private static async Task<IResult> ListAsync(InboundStore store, string where, object? parameters, CancellationToken ct)
    {
        await using var connection = await store.Database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<InboundRow>(new CommandDefinition(
            $"SELECT {InboundStore.Columns} FROM sp_inbound_mail WHERE {where} ORDER BY received_at_ms, id LIMIT 500", parameters, cancellationToken: ct));
        return Results.Ok(rows.Select(Summary));
    }

    private static object Summary(InboundRow r) => new
    {
        id = r.Id,
        sourceId = r.SourceId,
        sourceKey = r.SourceKey,
        messageId = r.MessageId,
        from = r.FromAddress,
        subject = r.Subject,
        size = r.OriginalSize ?? r.Size,
        receivedAt = r.ReceivedAt,
        state = r.State,
        disposition = r.Disposition,
        reason = r.Reason,
        hold = r.Hold,
        ticketId = r.TicketId,
        accountId = r.AccountId,
        resolvedBy = r.ResolvedBy,
        resolvedAt = r.ResolvedAtMs is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : (DateTimeOffset?)null,
    };

    private static async Task<IResult> Inspect(string id, InboundStore store, CancellationToken ct)
    {
        if (await store.FindAsync(id, null, ct) is not { } row)
        {
            return NotFound(id);
        }

        var raw = await store.RawAsync(id, ct) ?? [];
        var parsed = ParsedMail.Parse(raw, row.EnvelopeFrom);
        return Results.Ok(new
        {
            message = Summary(row),
            headers = parsed.Message?.Headers.Select(h => new { name = h.Field, value = h.Value }).ToArray() ?? [],
            text = parsed.Body.NewText,
            quoted = parsed.Body.Quoted,
            signature = parsed.Body.Signature,
            html = parsed.Body.SanitizedHtml,
            attachments = parsed.Files.Select(f => new { fileName = f.FileName, contentType = f.ContentType, size = f.Content.LongLength, inline = f.Inline }),
            automatic = parsed.Automatic,
        });
    }

    private static async Task<IResult> Raw(string id, InboundStore store, CancellationToken ct) =>
        await store.RawAsync(id, ct) is { } raw
            ? Results.File(raw, "message/rfc822", $"{id}.eml")
            : NotFound(id);

    private static async Task<IResult> Release(string id, HttpContext http, InboundStore store, InboundProcessor processor, CancellationToken ct)
    {
        if (await store.FindAsync(id, null, ct) is not { Disposition: "quarantined", Hold: { } hold })
        {
            return Problem(StatusCodes.Status404NotFound, "not-found", $"There is no message '{id}' held in quarantine.");
        }

        if (!await processor.ReopenAsync(id, hold, null, hold, ActorId(http), ct))
        {
            return Problem(StatusCodes.Status409Conflict, "changed", $"Message '{id}' was released or discarded meanwhile.");
        }

        var result = await processor.ProcessAsync(id, null, ct);
        return Results.Ok(new { disposition = Kebab(result.Disposition.ToString()), ticketId = result.TicketId, reason = result.Reason });
    }

    private static async Task<IResult> Discard(string id, DiscardRequest? request, HttpContext http, InboundStore store, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await store.Database.OpenConnectionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sp_inbound_mail SET disposition = 'discarded', hold = NULL, reason = @reason, resolved_by = @actor, resolved_at_ms = @now
            WHERE id = @id AND disposition = 'quarantined' AND hold IS NOT NULL
            """,
            new
            {
                id,
                actor = ActorId(http),
                now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                reason = "Discarded by " + ActorId(http) + (string.IsNullOrWhiteSpace(request?.Reason) ? "." : ": " + request.Reason.Trim()),
            },
            cancellationToken: ct));
        return changed == 1
            ? Results.NoContent()
            : Problem(StatusCodes.Status404NotFound, "not-found", $"There is no message '{id}' held in quarantine.");
    }

    private static async Task<IResult> Assign(string id, AssignRequest request, HttpContext http, InboundStore store, InboundProcessor processor, IClusterClient client, CancellationToken ct)
    {
        if (!AccountKeys.IsValidId(request.AccountId) || await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(request.AccountId!)).Get() is null)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "invalid-account", $"Client account '{request.AccountId}' does not exist.");
        }

        if (await store.FindAsync(id, null, ct) is not { Disposition: "triaged", Hold: "triage" } row)
        {
            return Problem(StatusCodes.Status404NotFound, "not-found", $"There is no message '{id}' waiting in triage.");
        }

        var requester = string.IsNullOrWhiteSpace(request.RequesterId) ? row.FromAddress : request.RequesterId.Trim();
        if (requester is null)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "requester-required", "The message has no sender address: give requesterId.");
        }

        var plan = new InboundPlan
        {
            Kind = "create",
            AccountId = request.AccountId,
            RequesterId = requester,
            ActorName = requester,
            Priority = request.Priority ?? SupportPlatform.Core.Priority.Normal,
            Type = request.Type,
            Note = $"Assigned from triage to account {request.AccountId} by {ActorId(http)}.",
            MayAnswer = false,
        };
        if (!await processor.ReopenAsync(id, "triage", plan, null, ActorId(http), ct))
        {
            return Problem(StatusCodes.Status409Conflict, "changed", $"Message '{id}' was assigned meanwhile.");
        }

        var result = await processor.ProcessAsync(id, null, ct);
        return Results.Ok(new { disposition = Kebab(result.Disposition.ToString()), ticketId = result.TicketId, reason = result.Reason });
    }

    private static async Task<IResult> Sources(InboundStore store, CancellationToken ct)
    {
        await using var connection = await store.Database.OpenConnectionAsync(ct);
        var reported = (await connection.QueryAsync<(string SourceId, string Description, long? AtSource, long CheckedAt, string? Error)>(new CommandDefinition(
            "SELECT source_id, description, messages_at_source, checked_at_ms, error FROM sp_inbound_sources", cancellationToken: ct))).ToList();
        var counts = (await connection.QueryAsync<(string SourceId, string? Disposition, long Count)>(new CommandDefinition(
            "SELECT source_id, disposition, COUNT(*) FROM sp_inbound_mail GROUP BY source_id, disposition", cancellationToken: ct))).ToList();
        var ids = reported.Select(r => r.SourceId).Concat(counts.Select(c => c.SourceId)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return Results.Ok(ids.Select(sourceId =>
        {
            var status = reported.FirstOrDefault(r => r.SourceId == sourceId);
            var imported = counts.Where(c => c.SourceId == sourceId).ToDictionary(c => c.Disposition ?? "processing", c => c.Count, StringComparer.Ordinal);
            return new
            {
                sourceId,
                description = status.Description,
                messagesAtSource = status.AtSource,
                checkedAt = status.SourceId is null ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeMilliseconds(status.CheckedAt),
                error = status.Error,
                imported,
                importedTotal = imported.Values.Sum(),
                awaitingProcessing = imported.GetValueOrDefault("processing"),
            };
        }));
    }

    private static async Task<IResult> Addresses(bool? bounced, InboundStore store, CancellationToken ct)
    {
        await using var connection = await store.Database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Address, long? BouncedAt, string? Status, string? Reason, long Count, long Replies)>(new CommandDefinition(
            $"SELECT address, bounced_at_ms, bounce_status, bounce_reason, CAST(bounce_count AS bigint), CAST(auto_reply_count AS bigint) FROM sp_mail_addresses {(bounced == true ? "WHERE bounced_at_ms IS NOT NULL" : "")} ORDER BY address LIMIT 1000",
            cancellationToken: ct));
        return Results.Ok(rows.Select(r => new
        {
            address = r.Address,
            bouncedAt = r.BouncedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : (DateTimeOffset?)null,
            bounceStatus = r.Status,
            bounceReason = r.Reason,
            bounceCount = r.Count,
            autoRepliesInWindow = r.Replies,
        }));
    }

    private static string ActorId(HttpContext http) => http.User.UserId() ?? "staff";

    private static IResult NotFound(string id) => Problem(StatusCodes.Status404NotFound, "not-found", $"There is no inbound message '{id}'.");

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);

    private static string Kebab(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    internal sealed record DiscardRequest(string? Reason);

    internal sealed record AssignRequest(string? AccountId, string? RequesterId, SupportPlatform.Core.Priority? Priority, string? Type);
}
