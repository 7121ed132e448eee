using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core;
using SupportPlatform.Core.Mail;
using SupportPlatform.Email.Notifications;
using SupportPlatform.Email.Outbox;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Email.Inbound;

/// <summary>
/// Turns a stored message into its outcome: decide (quarantine, ignore, comment, new ticket, triage), record the plan,
/// carry it out with idempotent ticket calls, then mark the message done in one transaction with the mail it causes
/// (acknowledgement, rejection) and the staff notification it causes (triage, bounce). Any step can crash and run again with the same result.
/// </summary>
internal sealed partial class InboundProcessor(
    InboundStore store,
    IGrainFactory grains,
    ITicketNumbers numbers,
    ITicketAttachments attachments,
    IUserDirectory users,
    IAccountDirectory accounts,
    IOutboundMail outbox,
    InboundFinisher finisher,
    IEnumerable<INotifier> notifications,
    TemplateRenderer templates,
    IOptionsMonitor<InboundOptions> options,
    IOptionsMonitor<EmailOptions> emailOptions,
    TimeProvider clock,
    ILogger<InboundProcessor> logger)
{
    private const int MaxText = 90_000;
    private readonly SemaphoreSlim[] locks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    [GeneratedRegex(@"^ticket-(\d{1,18})@supportplatform$", RegexOptions.CultureInvariant)]
    private static partial Regex TicketThread();

    /// <summary>Processes message <paramref name="id"/> unless done; returns its outcome.</summary>
    public async Task<InboundMailResult> ProcessAsync(string id, ParsedMail? parsed, CancellationToken cancellationToken)
    {
        var gate = locks[(int)((uint)StringComparer.Ordinal.GetHashCode(id) % (uint)locks.Length)];
        await gate.WaitAsync(cancellationToken);
        try
        {
            var row = await store.FindAsync(id, null, cancellationToken) ?? throw new InvalidOperationException($"Inbound mail {id} does not exist.");
            if (row.State == "done")
            {
                return Result(row);
            }

            if (parsed is null)
            {
                var raw = await store.RawAsync(id, cancellationToken) ?? [];
                parsed = ParsedMail.Parse(raw, row.EnvelopeFrom);
            }

            var plan = row.Plan is { } stored ? JsonSerializer.Deserialize<InboundPlan>(stored, InboundStore.Json)! : await DecideAsync(row, parsed, cancellationToken);
            if (plan.Kind == "create" && plan.TicketId is null)
            {
                plan = plan with { TicketId = await numbers.AllocateAsync(cancellationToken) };
            }

            plan = await store.PlanAsync(id, plan, row.Plan, cancellationToken);
            var outcome = await ExecuteAsync(row, parsed, plan, cancellationToken);
            await FinishAsync(row, parsed, outcome, cancellationToken);
            return Result((await store.FindAsync(id, null, cancellationToken))!);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Decides what to do with a message that is not stored yet (including its ticket number), so that the plan goes
    /// into the same insert as the raw message. Null when deciding failed: the message is then stored without a plan
    /// and <see cref="ProcessAsync"/> decides again (and <see cref="InboundRecovery"/> retries), so nothing is lost.
    /// </summary>
    public async Task<InboundPlan?> DecideNewAsync(InboundRow row, ParsedMail parsed, CancellationToken cancellationToken)
    {
        try
        {
            var plan = await DecideAsync(row, parsed, cancellationToken);
            return plan.Kind == "create" && plan.TicketId is null ? plan with { TicketId = await numbers.AllocateAsync(cancellationToken) } : plan;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Inbound mail {Id}: deciding before storing failed; stored without a plan and decided again", row.Id);
            return null;
        }
    }

    /// <summary>
    /// Carries out the plan of a message this call just stored with it (<see cref="DecideNewAsync"/>): no read-back of
    /// the row or the plan; the finishing writes share a transaction with other messages' (<see cref="InboundFinisher"/>).
    /// </summary>
    public async Task<InboundMailResult> ProcessNewAsync(InboundRow row, ParsedMail parsed, InboundPlan plan, CancellationToken cancellationToken)
    {
        var gate = locks[(int)((uint)StringComparer.Ordinal.GetHashCode(row.Id) % (uint)locks.Length)];
        await gate.WaitAsync(cancellationToken);
        try
        {
            var outcome = await ExecuteAsync(row, parsed, plan, cancellationToken);
            if (await FinishAsync(row, parsed, outcome, cancellationToken))
            {
                return Result(new InboundRow { Disposition = outcome.Disposition, TicketId = outcome.TicketId, Reason = outcome.Reason });
            }

            // Finished meanwhile by another run (recovery at start): its outcome stands.
            return Result((await store.FindAsync(row.Id, null, cancellationToken))!);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Resets a held or triaged message so that <see cref="ProcessAsync"/> decides again, with <paramref name="plan"/> if given.</summary>
    public async Task<bool> ReopenAsync(string id, string expectedHold, InboundPlan? plan, string? ignoreHold, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await store.Database.OpenConnectionAsync(cancellationToken);
        var changed = await Dapper.SqlMapper.ExecuteAsync(connection, new Dapper.CommandDefinition(
            """
            UPDATE sp_inbound_mail SET state = 'stored', plan = @plan, ticket_id = NULL, hold = NULL, ignore_hold = @ignoreHold,
                resolved_by = @actor, resolved_at_ms = @now
            WHERE id = @id AND state = 'done' AND hold = @expectedHold
            """,
            new { id, expectedHold, plan = plan is null ? null : JsonSerializer.Serialize(plan, InboundStore.Json), ignoreHold, actor, now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
        return changed == 1;
    }

    public static InboundMailResult Result(InboundRow row) => new(
        row.Disposition switch
        {
            "ticket-created" => InboundMailDisposition.TicketCreated,
            "comment-added" => InboundMailDisposition.CommentAdded,
            "triaged" => InboundMailDisposition.Triaged,
            "quarantined" or "discarded" => InboundMailDisposition.Quarantined,
            _ => InboundMailDisposition.Ignored,
        },
        row.TicketId?.ToString(CultureInfo.InvariantCulture),
        row.Reason);

    private async Task<InboundPlan> DecideAsync(InboundRow row, ParsedMail mail, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var mayAnswer = mail.Automatic is null && mail.From is not null;
        InboundPlan Hold(string code, string reason) => new() { Kind = "hold", Hold = code, Reason = reason, MayAnswer = mayAnswer };
        bool Ignored(string code) => string.Equals(row.IgnoreHold, code, StringComparison.Ordinal);

        if (mail.Unparseable is { } broken && !Ignored("unparseable"))
        {
            return Hold("unparseable", "Unparseable: " + broken + ".");
        }

        if (row.OriginalSize is not null || row.Size > settings.MaxMessageBytes)
        {
            if (!Ignored("oversized"))
            {
                return Hold("oversized", $"Oversized: the message is {row.OriginalSize ?? row.Size} bytes; the limit is {settings.MaxMessageBytes} bytes.");
            }
        }

        var own = emailOptions.CurrentValue.From is { } from && MimeKit.MailboxAddress.TryParse(from, out var ownAddress) ? ownAddress.Address.ToLowerInvariant() : null;
        if (own is not null && !Ignored("loop")
            && (mail.From == own || (mail.Message?.Headers.Where(h => h.Id == MimeKit.HeaderId.Unknown && h.Field.Equals("X-Loop", StringComparison.OrdinalIgnoreCase))
                .Any(h => h.Value.Contains(own, StringComparison.OrdinalIgnoreCase)) ?? false)))
        {
            return Hold("loop", $"Loop: the message comes from the platform's own address {own}.");
        }

        if (mail.Bounce is { } bounce)
        {
            return new InboundPlan
            {
                Kind = "ignore",
                Reason = bounce.Count == 0 ? "Delivery-status report without a failed recipient." : "Bounce for " + string.Join(", ", bounce.Select(b => $"{b.Address} ({b.Status ?? "failed"})")) + ".",
            };
        }

        if (mail.IsAutoReply)
        {
            return new InboundPlan { Kind = "ignore", Reason = $"Automatic reply from {mail.From} ({mail.Automatic}); no ticket." };
        }

        if (!Ignored("attachment-limit"))
        {
            if (mail.Files.Count > attachments.MaxFiles)
            {
                return Hold("attachment-limit", $"Too many attachments: {mail.Files.Count}; the limit is {attachments.MaxFiles} per message.");
            }

            if (mail.Files.FirstOrDefault(f => f.Content.LongLength > attachments.MaxFileBytes) is { } big)
            {
                return Hold("attachment-limit", $"Attachment '{big.FileName}' is {big.Content.LongLength} bytes; the limit is {attachments.MaxFileBytes} bytes per file.");
            }
        }

        // Who sent it: a client user by address, else an account by the address's domain.
        string? accountId = null;
        string requesterId = mail.From ?? "unknown";
        var requesterName = mail.FromName ?? mail.From ?? "unknown sender";
        if (mail.From is { } sender)
        {
            if (await users.FindByEmailAsync(sender, cancellationToken) is { Kind: "client", Active: true, AccountId: { } userAccount } user)
            {
                accountId = userAccount;
                requesterId = user.Id;
                requesterName = user.Name;
            }
            else
            {
                accountId = await accounts.FindByEmailDomainAsync(sender[(sender.LastIndexOf('@') + 1)..], cancellationToken);
            }
        }

        // Threading: the subject token, then In-Reply-To/References, then Outlook's Thread-Index.
        string? note = null;
        foreach (var (ticketId, how) in await CandidatesAsync(mail, cancellationToken))
        {
            var ticket = await FollowMergesAsync(ticketId);
            if (ticket is null)
            {
                continue;
            }

            if (accountId is not null && string.Equals(ticket.AccountId, accountId, StringComparison.Ordinal))
            {
                return new InboundPlan
                {
                    Kind = "comment", TicketId = ticket.Id, AccountId = accountId, RequesterId = requesterId, ActorName = requesterName, MayAnswer = mayAnswer,
                };
            }

            // Never attach mail to a ticket of another account (a token is easy to copy or guess): a new ticket or triage, with a note.
            note = $"This mail named ticket #{ticketId} ({how}), but its sender {mail.From} is not of that ticket's account, so it was not added there.";
            logger.LogWarning("Inbound mail {Id} from {Sender} names ticket {Ticket} of another account; not attached", row.Id, mail.From, ticketId);
            break;
        }

        if (accountId is null)
        {
            return new InboundPlan
            {
                Kind = "triage",
                Reason = $"No client account matches the sender {mail.From ?? "(none)"}." + (note is null ? "" : " " + note),
                Note = note,
                MayAnswer = mayAnswer,
            };
        }

        var text = mail.Subject + "\n" + mail.Body.NewText;
        var rule = settings.EffectiveRules.FirstOrDefault(r => r.Matches(mail.From ?? "", accountId, text));
        return new InboundPlan
        {
            Kind = "create",
            AccountId = accountId,
            RequesterId = requesterId,
            ActorName = requesterName,
            Priority = rule?.Priority ?? Priority.Normal,
            Type = rule?.Type,
            Note = note,
            MayAnswer = mayAnswer,
        };
    }

    private async Task<List<(long Ticket, string How)>> CandidatesAsync(ParsedMail mail, CancellationToken cancellationToken)
    {
        var found = new List<(long, string)>();
        if (mail.TicketTokenId is { } token)
        {
            found.Add((token, $"subject token [#{token}]"));
        }

        foreach (var reference in mail.References)
        {
            if (TicketThread().Match(reference) is { Success: true } m && long.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out var thread))
            {
                found.Add((thread, "References"));
                break;
            }
        }

        if (await store.TicketOfMessageIdsAsync(mail.References, cancellationToken) is { } referenced)
        {
            found.Add((referenced, "In-Reply-To/References"));
        }

        if (mail.ThreadIndexRoot is { } root && await store.TicketOfThreadIndexAsync(root, cancellationToken) is { } outlook)
        {
            found.Add((outlook, "Thread-Index"));
        }

        return found;
    }

    private async Task<TicketView?> FollowMergesAsync(long id)
    {
        for (var hops = 0; hops < 5; hops++)
        {
            var ticket = await grains.GetGrain<ITicketGrain>(id).Get();
            if (ticket?.MergedInto is not { } target)
            {
                return ticket;
            }

            id = target;
        }

        return null;
    }

    /// <summary>What carrying out the plan gave.</summary>
    private sealed record Outcome(string Disposition, string? Reason, string? Hold, long? TicketId, string? AccountId, InboundPlan Plan, TicketView? Ticket);

    private async Task<Outcome> ExecuteAsync(InboundRow row, ParsedMail mail, InboundPlan plan, CancellationToken cancellationToken)
    {
        switch (plan.Kind)
        {
            case "hold":
                return new Outcome("quarantined", plan.Reason, plan.Hold, null, null, plan, null);
            case "ignore":
                return new Outcome("ignored", plan.Reason, null, null, null, plan, null);
            case "triage":
                return new Outcome("triaged", plan.Reason, "triage", null, null, plan, null);
        }

        var ticketId = plan.TicketId!.Value;
        var (files, refused) = await SaveFilesAsync(row, mail, ticketId, cancellationToken);
        if (refused is not null && !string.Equals(row.IgnoreHold, "suspicious", StringComparison.Ordinal))
        {
            return await Replan(row, plan with { Kind = "hold", Hold = "suspicious", Reason = "Suspicious attachment: " + refused, TicketId = null }, cancellationToken);
        }

        var actor = new Actor(ActorKind.Client, plan.RequesterId!, plan.ActorName ?? plan.RequesterId!);
        var body = mail.Body.Description(MaxText);
        var notes = new List<string>();
        if (plan.Note is { } n)
        {
            notes.Add(n);
        }

        if (refused is not null)
        {
            notes.Add("Attachments not stored (released from quarantine): " + refused);
        }

        try
        {
            if (plan.Kind == "comment")
            {
                var result = await grains.GetGrain<ITicketGrain>(ticketId).AddComment(new AddComment
                {
                    Actor = actor,
                    Visibility = CommentVisibility.Public,
                    Body = body.Length > 0 ? body : files.Count > 0 ? "(attachments only)" : "(empty message)",
                    Attachments = files,
                    Channel = TicketChannel.Email,
                    CommentId = "mail-" + Hash(row.ImportKey),
                });
                await AddNotesAsync(result.FollowUpTicket ?? ticketId, row, notes);
                return new Outcome("comment-added", result.FollowUpTicket is { } f ? $"Reply after the reopen window: follow-up ticket #{f}." : null, null,
                    result.FollowUpTicket ?? ticketId, plan.AccountId, plan, result.Ticket);
            }

            var ticket = await grains.GetGrain<ITicketGrain>(ticketId).Create(new CreateTicket
            {
                AccountId = plan.AccountId!,
                RequesterId = plan.RequesterId!,
                Channel = TicketChannel.Email,
                Priority = plan.Priority,
                Type = plan.Type,
                Subject = string.IsNullOrWhiteSpace(mail.Subject) ? "(no subject)" : Truncate(mail.Subject, 200),
                Description = body,
                Attachments = files,
                ReceivedAt = Min(row.ReceivedAt, clock.GetUtcNow()),
                Actor = actor,
            });
            await AddNotesAsync(ticketId, row, notes);
            return new Outcome("ticket-created", null, null, ticketId, plan.AccountId, plan, ticket);
        }
        catch (TicketRuleException ex)
        {
            logger.LogWarning("Inbound mail {Id}: the ticket refused it ({Code}: {Message}); quarantined", row.Id, ex.Code, ex.Message);
            return await Replan(row, plan with { Kind = "hold", Hold = "refused", Reason = "The ticket refused it: " + ex.Message, TicketId = null }, cancellationToken);
        }
    }

    private async Task<Outcome> Replan(InboundRow row, InboundPlan plan, CancellationToken cancellationToken)
    {
        await using var connection = await store.Database.OpenConnectionAsync(cancellationToken);
        await Dapper.SqlMapper.ExecuteAsync(connection, new Dapper.CommandDefinition(
            "UPDATE sp_inbound_mail SET plan = @plan, ticket_id = NULL WHERE id = @id AND state = 'stored'",
            new { id = row.Id, plan = JsonSerializer.Serialize(plan, InboundStore.Json) }, cancellationToken: cancellationToken));
        return new Outcome("quarantined", plan.Reason, plan.Hold, null, null, plan, null);
    }

    private async Task AddNotesAsync(long ticketId, InboundRow row, List<string> notes)
    {
        for (var i = 0; i < notes.Count; i++)
        {
            await grains.GetGrain<ITicketGrain>(ticketId).AddComment(new AddComment
            {
                Actor = Actor.System("email"),
                Visibility = CommentVisibility.Internal,
                Body = notes[i],
                Channel = TicketChannel.Email,
                CommentId = $"mail-note-{i}-" + Hash(row.ImportKey),
            });
        }
    }

    private async Task<(List<AttachmentRef> Files, string? Refused)> SaveFilesAsync(InboundRow row, ParsedMail mail, long ticketId, CancellationToken cancellationToken)
    {
        var saved = new List<AttachmentRef>();
        var refused = new List<string>();
        for (var i = 0; i < mail.Files.Count; i++)
        {
            var file = mail.Files[i];
            if (file.Content.LongLength > attachments.MaxFileBytes || saved.Count >= attachments.MaxFiles)
            {
                refused.Add($"'{file.FileName}' is over the limits");
                continue;
            }

            using var content = new MemoryStream(file.Content, writable: false);
            var result = await attachments.SaveAsync(ticketId, Hash(row.ImportKey + ":" + i.ToString(CultureInfo.InvariantCulture)), file.FileName, file.ContentType, content, cancellationToken);
            if (result.Attachment is { } attachment)
            {
                saved.Add(attachment);
            }
            else
            {
                refused.Add(result.Error ?? $"'{file.FileName}' was refused");
            }
        }

        return (saved, refused.Count == 0 ? null : string.Join("; ", refused));
    }

    /// <summary>Marks the message done with the mail and notice it causes; false when it was done already (nothing written).</summary>
    private async Task<bool> FinishAsync(InboundRow row, ParsedMail mail, Outcome outcome, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var email = emailOptions.CurrentValue;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var mails = new List<OutboundMail>();
        var sender = mail.From;

        if (outcome.Plan.MayAnswer && sender is not null && email.From is not null)
        {
            if (outcome.Disposition == "ticket-created" && outcome.Ticket is { } ticket)
            {
                var account = await grains.GetGrain<IClientAccountGrain>(AccountKeys.Grain(ticket.AccountId)).Get();
                var rendered = await templates.RenderForAccountAsync(ticket.AccountId, "mail-acknowledgement", AcknowledgementModel(ticket, account, mail.FromName, mail.From, email), cancellationToken);
                mails.Add(new OutboundMail(sender, rendered.Subject, rendered.Text, rendered.Html, "mail-acknowledgement", ReplyHeaders(mail, ticket.Id)));
            }
            else if (outcome.Hold is "oversized" or "attachment-limit")
            {
                var rendered = await templates.RenderAsync("mail-rejected", RejectedModel(mail.Subject, outcome.Reason, settings.MaxMessageBytes, attachments.MaxFileBytes, attachments.MaxFiles, email), cancellationToken);
                mails.Add(new OutboundMail(sender, rendered.Subject, rendered.Text, rendered.Html, "mail-rejected", ReplyHeaders(mail, null)));
            }
        }

        // Staff hear of new mail through the notification service, in the same transaction as the outcome. New tickets
        // and client replies already notify their subscribers (new-ticket, client-reply) from the ticket itself, so the
        // notice here goes to the team address only; triage and bounces go to their subscribers and the team address.
        var team = email.TeamAddress is { Length: > 0 } address ? [address] : Array.Empty<string>();
        var text = Truncate(mail.Body.NewText, 4000);
        var mailPage = email.PublicUrl is { Length: > 0 } url ? $"{url.TrimEnd('/')}/console/mail" : "/console/mail";
        StaffNotification? notice = outcome.Disposition switch
        {
            "ticket-created" when team.Length > 0 => new StaffNotification($"mail/{row.Id}/team", NotificationEventType.NewTicket,
                $"[#{outcome.TicketId}] New ticket by mail from {sender}: {mail.Subject}", text) { Mailboxes = team, TicketId = outcome.TicketId },
            "comment-added" when team.Length > 0 => new StaffNotification($"mail/{row.Id}/team", NotificationEventType.ClientReply,
                $"[#{outcome.TicketId}] Reply by mail from {sender}: {mail.Subject}", text) { Mailboxes = team, TicketId = outcome.TicketId },
            "triaged" => new StaffNotification($"mail/{row.Id}/triage", NotificationEventType.MailTriage,
                $"Mail from {sender ?? "an unknown sender"} waits in triage: {mail.Subject}",
                $"{outcome.Reason ?? "No account matched the sender."} Choose its account on the console's mail page to open the ticket.\n\n{text}")
            {
                IncludeSubscribers = true, Mailboxes = team, Link = mailPage,
            },
            _ when mail.Bounce is { Count: > 0 } bounced => new StaffNotification($"mail/{row.Id}/bounce", NotificationEventType.MailBounce,
                $"Mail bounced: {string.Join(", ", bounced.Select(b => b.Address))}",
                $"{string.Join("\n", bounced.Select(b => $"{b.Address}: {b.Status ?? "failed"} {b.Diagnostic}".TrimEnd()))}\nThe address is marked as bouncing (listed on the console's mail page).")
            {
                IncludeSubscribers = true, Mailboxes = team, Link = mailPage,
            },
            _ => null,
        };

        // Run in a transaction shared with other messages' finishing writes, and again alone if that batch fails: it
        // writes nothing unless the row was still 'stored', so a second run (or another node) adds nothing twice.
        var notifier = notifications.FirstOrDefault();
        var finished = await finisher.WriteAsync(sender ?? "", async transaction =>
        {
            if (!await InboundStore.FinishAsync(transaction, row.Id, outcome.Disposition, outcome.Reason, outcome.Hold, outcome.TicketId, outcome.AccountId, now))
            {
                return false;
            }

            foreach (var bounce in mail.Bounce ?? [])
            {
                await InboundStore.MarkBouncedAsync(transaction, bounce, now);
            }

            foreach (var message in mails)
            {
                var automaticAnswer = message.Purpose is "mail-acknowledgement" or "mail-rejected";
                if (automaticAnswer && !await InboundStore.TryCountAutoReplyAsync(transaction, sender!, settings.AutoReplyLimit, (long)settings.AutoReplyWindow.TotalMilliseconds, now))
                {
                    logger.LogInformation("No {Purpose} to {Sender}: the auto-reply limit ({Limit} per {Window}) is reached", message.Purpose, sender, settings.AutoReplyLimit, settings.AutoReplyWindow);
                    continue;
                }

                await outbox.EnqueueAsync(message, transaction, CancellationToken.None);
            }

            if (notice is not null && notifier is not null)
            {
                await notifier.NotifyAsync(notice, transaction, CancellationToken.None);
            }

            return true;
        }).WaitAsync(cancellationToken);
        if (finished && notice is not null)
        {
            notifier?.Wake();
        }

        return finished;
    }

    private static Dictionary<string, string> ReplyHeaders(ParsedMail mail, long? ticketId)
    {
        // RFC 3834: an automatic answer says so, so that the other side's auto-responder stays quiet.
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Auto-Submitted"] = "auto-replied" };
        var references = new List<string>();
        if (mail.MessageId is { } original)
        {
            headers["In-Reply-To"] = $"<{original}>";
            references.Add($"<{original}>");
        }

        if (ticketId is { } t)
        {
            references.Insert(0, MailThreads.TicketThread(t));
            headers["X-SupportPlatform-Ticket"] = t.ToString(CultureInfo.InvariantCulture);
        }

        if (references.Count > 0)
        {
            headers["References"] = string.Join(' ', references);
        }

        return headers;
    }

    /// <summary>The model of <c>mail-rejected</c> (also the template page's sample).</summary>
    internal static Dictionary<string, object?> RejectedModel(string? subject, string? reason, long maxMessageBytes, long maxFileBytes, int maxFiles, EmailOptions email) => new(StringComparer.Ordinal)
    {
        ["subject"] = subject,
        ["reason"] = reason,
        ["max_message_bytes"] = maxMessageBytes,
        ["max_file_bytes"] = maxFileBytes,
        ["max_files"] = maxFiles,
        ["signature"] = Signature(email),
    };

    /// <summary>The model of <c>mail-acknowledgement</c> (also the template page's sample).</summary>
    internal static Dictionary<string, object?> AcknowledgementModel(TicketView ticket, AccountView? account, string? fromName, string? from, EmailOptions email)
    {
        var due = ticket.Sla.FirstOrDefault(c => c.Kind.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal)
            .Equals("firstresponse", StringComparison.OrdinalIgnoreCase))?.DueAt ?? ticket.Sla.FirstOrDefault(c => c.DueAt is not null)?.DueAt;
        string? dueLocal = null;
        if (due is { } d)
        {
            var zone = account?.TimeZone is { } tz && TimeZoneInfo.TryFindSystemTimeZoneById(tz, out var found) ? found : TimeZoneInfo.Utc;
            dueLocal = TimeZoneInfo.ConvertTime(d, zone).ToString("dddd d MMMM yyyy HH:mm", CultureInfo.InvariantCulture) + " (" + zone.Id + ")";
        }

        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["ticket"] = new { id = ticket.Id, subject = ticket.Subject, priority = ticket.Priority.ToString().ToLowerInvariant(), account_id = ticket.AccountId },
            ["account"] = new { id = account?.Id, name = account?.Name },
            ["requester"] = new { name = fromName ?? from, email = from },
            ["response_due"] = dueLocal,
            ["response_due_utc"] = due?.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["url"] = email.PublicUrl is { Length: > 0 } url ? $"{url.TrimEnd('/')}/portal/tickets/{ticket.Id}" : null,
            ["signature"] = Signature(email),
        };
    }

    private static string Signature(EmailOptions email) =>
        email.From is { } from && MimeKit.MailboxAddress.TryParse(from, out var sender) && sender.Name is { Length: > 0 } name ? name : "Support";

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
}
