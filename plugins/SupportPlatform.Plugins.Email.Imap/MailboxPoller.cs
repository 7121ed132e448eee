using System.Net.Sockets;
using System.Security.Cryptography;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Plugins.Email.Imap;

/// <summary>
/// Reads one mailbox for as long as the host runs: connects, imports every message of the folder into the sink,
/// acknowledges (moves or deletes) each one only after the sink returned, then waits in IDLE (or polls) for more.
/// Any failure is logged, shown by the health check, and retried with back-off; this service never throws.
/// </summary>
internal sealed partial class MailboxPoller(
    MailboxSettings mailbox,
    MailboxHealth health,
    IInboundMailSink sink,
    UidCursorStore cursors,
    OAuth2TokenSource? tokens,
    TimeProvider timeProvider,
    ILogger<MailboxPoller> logger) : IPluginBackgroundService
{
    /// <summary>Messages per FETCH of sizes and dates.</summary>
    private const int FetchBatch = 200;

    /// <summary>Accepted messages acknowledged together (one MOVE).</summary>
    private const int AckBatch = 50;

    private static readonly TimeSpan FirstReconnectDelay = TimeSpan.FromSeconds(1);

    private int _failedInLastPass;
    private bool _uidPlus;

    // Set when the server reports more messages than before (EXISTS), whenever that arrives: also in answer to the
    // pass's own commands, before IDLE is entered, which an IDLE-only listener would miss until the next re-issue.
    private volatile bool _arrived;
    private int _lastCount;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = FirstReconnectDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RunSessionAsync(() => delay = FirstReconnectDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var problem = Describe(ex);
                health.Unhealthy(problem + $" Retrying in {delay.TotalSeconds:0} s.");
                LogSessionFailed(logger, ex, mailbox.Id, problem, delay);
                await ReportAsync(null, problem, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, mailbox.ReconnectMax.Ticks));
        }
    }

    /// <summary>One connection: passes over the folder until the connection breaks or the host stops.</summary>
    private async Task RunSessionAsync(Action connected, CancellationToken cancellationToken)
    {
        using var client = new ImapClient();
        if (mailbox.AcceptAnyCertificate || mailbox.CertificateThumbprint is not null)
        {
            client.ServerCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None
                || mailbox.AcceptAnyCertificate
                || (certificate is not null && string.Equals(
                    Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())), mailbox.CertificateThumbprint, StringComparison.Ordinal));
        }

        var security = mailbox.Security switch
        {
            ImapSecurity.Ssl => SecureSocketOptions.SslOnConnect,
            ImapSecurity.StartTls => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        };
        await client.ConnectAsync(mailbox.Host, mailbox.Port, security, cancellationToken).ConfigureAwait(false);
        await AuthenticateAsync(client, cancellationToken).ConfigureAwait(false);

        var folder = await client.GetFolderAsync(mailbox.Folder, cancellationToken).ConfigureAwait(false);
        await folder.OpenAsync(FolderAccess.ReadWrite, cancellationToken).ConfigureAwait(false);
        var target = mailbox.AfterImport == AfterImport.Move ? await GetOrCreateFolderAsync(client, mailbox.MoveTo, cancellationToken).ConfigureAwait(false) : null;
        _lastCount = folder.Count;
        folder.CountChanged += (_, _) =>
        {
            if (folder.Count > _lastCount)
            {
                _arrived = true;
            }

            _lastCount = folder.Count;
        };
        var idle = client.Capabilities.HasFlag(ImapCapabilities.Idle);
        _uidPlus = client.Capabilities.HasFlag(ImapCapabilities.UidPlus);
        LogConnected(logger, mailbox.Id, mailbox.Description, idle ? "IDLE" : $"polling every {mailbox.PollInterval.TotalSeconds:0} s");
        connected();

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _arrived = false;
            var waiting = await PassAsync(client, folder, target, cancellationToken).ConfigureAwait(false);
            var retryPending = _failedInLastPass > 0;
            var detail = $"connected ({(idle ? "IDLE" : "polling")}), {waiting} message(s) waiting, last pass {timeProvider.GetUtcNow():u}.";
            if (retryPending)
            {
                health.Degraded($"{_failedInLastPass} message(s) were not accepted by the platform and stay in {mailbox.Folder}; retrying every {mailbox.RetryInterval.TotalSeconds:0} s.");
            }
            else
            {
                health.Healthy(detail);
            }

            var wait = retryPending && mailbox.RetryInterval < (idle ? mailbox.IdleRefresh : mailbox.PollInterval)
                ? mailbox.RetryInterval
                : idle ? mailbox.IdleRefresh : mailbox.PollInterval;
            if (_arrived && !retryPending)
            {
                // Mail came in while the pass ran: pass again instead of waiting.
                continue;
            }

            if (idle)
            {
                await IdleAsync(client, folder, wait, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(wait, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits in IDLE until the folder's message count changes or <paramref name="wait"/> elapses (servers drop IDLE after 30 minutes).</summary>
    private async Task IdleAsync(ImapClient client, IMailFolder folder, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var done = new CancellationTokenSource(wait, timeProvider);
        void OnCountChanged(object? sender, EventArgs e)
        {
            if (_arrived)
            {
                done.Cancel();
            }
        }
        folder.CountChanged += OnCountChanged;
        try
        {
            await client.IdleAsync(done.Token, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            folder.CountChanged -= OnCountChanged;
        }
    }

    /// <summary>Offers every not yet acknowledged message to the sink, oldest first. Returns how many are still in the folder.</summary>
    private async Task<int> PassAsync(ImapClient client, IMailFolder folder, IMailFolder? target, CancellationToken cancellationToken)
    {
        var uidValidity = folder.UidValidity;
        var source = $"{mailbox.Host}:{mailbox.Port}/{mailbox.User}/{mailbox.Folder}";
        var cursor = cursors.Load(mailbox.Id, source);
        if (cursor is not null && cursor.UidValidity != uidValidity)
        {
            // The server renumbered the folder: old UIDs mean nothing now. Rescan it all; the sink drops what it already has.
            LogUidValidityChanged(logger, mailbox.Id, cursor.UidValidity, uidValidity);
            cursor = null;
        }

        var acknowledgedThrough = cursor?.AcknowledgedThrough ?? 0;
        var query = SearchQuery.NotDeleted;
        if (acknowledgedThrough > 0)
        {
            query = query.And(SearchQuery.Uids(new UniqueIdRange(new UniqueId(uidValidity, acknowledgedThrough + 1), UniqueId.MaxValue)));
        }

        // "n:*" always matches the highest UID, even one below n: keep only what is really above the cursor.
        var uids = (await folder.SearchAsync(query, cancellationToken).ConfigureAwait(false))
            .Where(u => u.Id > acknowledgedThrough)
            .OrderBy(u => u.Id)
            .ToList();
        var failed = 0;
        var firstFailure = uint.MaxValue;
        var limit = sink.MaxMessageBytes;
        // Accepted messages are acknowledged in groups (one UID MOVE or STORE+EXPUNGE per group): always after the sink
        // returned for each of them. A crash before a group's acknowledgement only means those are offered again.
        var accepted = new List<UniqueId>(AckBatch);
        async Task FlushAsync(CancellationToken token)
        {
            if (accepted.Count == 0)
            {
                return;
            }

            await AcknowledgeAsync(folder, target, accepted, token).ConfigureAwait(false);
            // The cursor only moves past UIDs below the first refused message, which must be offered again.
            var through = accepted.Where(u => u.Id < firstFailure).Select(u => u.Id).DefaultIfEmpty(0u).Max();
            if (through > acknowledgedThrough)
            {
                acknowledgedThrough = through;
                cursors.Save(mailbox.Id, new UidCursor(source, uidValidity, acknowledgedThrough));
            }

            accepted.Clear();
        }

        // Messages are fetched one after another in UID order on this connection and handed to the sink as they come,
        // up to mailbox.Concurrency at a time (the sink commits them concurrently, and keeps a reply that arrives while
        // its parent is still being stored behind that parent). Results are taken in UID order, so the cursor and the
        // first refused message mean the same as with one message at a time; each message is still acknowledged only
        // after the sink returned for it.
        // At most mailbox.Concurrency messages are held between fetch and result (a slow one holds up the window, so
        // memory stays bounded).
        var pending = new Queue<(UniqueId Uid, Task<bool?> Accepted)>();
        async Task TakeAsync(int keep, CancellationToken token)
        {
            // Results in UID order: every finished one at the head, and more (waiting) until at most `keep` remain.
            while (pending.Count > 0 && (pending.Count > keep || pending.Peek().Accepted.IsCompleted))
            {
                var (uid, task) = pending.Dequeue();
                switch (await task.ConfigureAwait(false))
                {
                    case true:
                        accepted.Add(uid);
                        if (accepted.Count >= AckBatch)
                        {
                            await FlushAsync(token).ConfigureAwait(false);
                        }

                        break;
                    case false:
                        failed++;
                        firstFailure = Math.Min(firstFailure, uid.Id);
                        break;
                    default:
                        // Cancelled (stopping): neither accepted nor refused; nothing after it moves the cursor.
                        firstFailure = Math.Min(firstFailure, uid.Id);
                        break;
                }
            }
        }

        try
        {
            for (var start = 0; start < uids.Count; start += FetchBatch)
            {
                var batch = uids.GetRange(start, Math.Min(FetchBatch, uids.Count - start));
                var summaries = await folder.FetchAsync(batch, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Size | MessageSummaryItems.InternalDate), cancellationToken)
                    .ConfigureAwait(false);
                foreach (var summary in summaries.OrderBy(s => s.UniqueId.Id))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await TakeAsync(mailbox.Concurrency - 1, cancellationToken).ConfigureAwait(false);
                    var mail = await FetchAsync(folder, summary, uidValidity, limit, cancellationToken).ConfigureAwait(false);

                    // Started here, in UID order (the sink registers the message before its first wait).
                    pending.Enqueue((summary.UniqueId, OfferAsync(mail, summary.UniqueId, cancellationToken)));
                }

                await TakeAsync(0, cancellationToken).ConfigureAwait(false);
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && client.IsConnected)
        {
            // Stopping: acknowledge what the platform already stored, briefly, so a restart does not offer it again.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await Task.WhenAll(pending.Select(p => p.Accepted)).WaitAsync(grace.Token).ConfigureAwait(false);
                await TakeAsync(0, grace.Token).ConfigureAwait(false);
                await FlushAsync(grace.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ImapProtocolException or ImapCommandException)
            {
                // Offered again after the restart; the sink answers Duplicate.
            }

            throw;
        }
        finally
        {
            // Never leave a sink call running past this pass (they do not throw; a broken connection only means their
            // messages are offered again on the next connection, and the sink answers Duplicate).
            await Task.WhenAll(pending.Select(p => p.Accepted)).ConfigureAwait(false);
        }

        _failedInLastPass = failed;
        var waiting = folder.Count;
        await ReportAsync(waiting, failed == 0 ? null : $"{failed} message(s) were not accepted by the platform; they stay in {mailbox.Folder} and are offered again.", cancellationToken)
            .ConfigureAwait(false);
        return waiting;
    }

    /// <summary>Reads one message (its headers only when it is over the sink's limit).</summary>
    private async Task<InboundMail> FetchAsync(IMailFolder folder, IMessageSummary summary, uint uidValidity, long limit, CancellationToken cancellationToken)
    {
        var size = (long?)summary.Size ?? 0;
        var oversized = limit > 0 && size > limit;
        byte[] content;
        // BODY.PEEK: reading never sets \Seen, and \Seen is never consulted.
        using (var stream = oversized
                   ? await folder.GetStreamAsync(summary.UniqueId, "HEADER", cancellationToken).ConfigureAwait(false)
                   : await folder.GetStreamAsync(summary.UniqueId, cancellationToken).ConfigureAwait(false))
        using (var buffer = new MemoryStream(oversized ? 8192 : (int)Math.Min(size + 16, int.MaxValue)))
        {
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            content = buffer.ToArray();
        }

        return new InboundMail(
            mailbox.SourceId,
            $"{mailbox.Folder}/{uidValidity}/{summary.UniqueId.Id}",
            content,
            summary.InternalDate ?? timeProvider.GetUtcNow())
        {
            OriginalSize = oversized ? size : null,
        };
    }

    /// <summary>
    /// Hands one message to the sink: true when accepted, false when the sink threw (the message then stays where it
    /// is), null when cancelled. Never throws.
    /// </summary>
    private async Task<bool?> OfferAsync(InboundMail mail, UniqueId uid, CancellationToken cancellationToken)
    {
        try
        {
            var result = await sink.AcceptAsync(mail, cancellationToken).ConfigureAwait(false);
            LogAccepted(logger, mailbox.Id, uid.Id, result.Disposition, result.TicketId, result.Reason);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            LogNotAccepted(logger, ex, mailbox.Id, uid.Id);
            return false;
        }
    }

    private async Task AcknowledgeAsync(IMailFolder folder, IMailFolder? target, IList<UniqueId> uids, CancellationToken cancellationToken)
    {
        if (target is not null)
        {
            // MOVE when the server has it, else COPY + \Deleted + UID EXPUNGE (MailKit picks).
            await folder.MoveToAsync(uids, target, cancellationToken).ConfigureAwait(false);
            return;
        }

        await folder.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, cancellationToken).ConfigureAwait(false);
        if (_uidPlus)
        {
            await folder.ExpungeAsync(uids, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Without UIDPLUS only a whole-folder EXPUNGE exists; it also removes mail others flagged \Deleted.
            await folder.ExpungeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AuthenticateAsync(ImapClient client, CancellationToken cancellationToken)
    {
        if (tokens is null)
        {
            await client.AuthenticateAsync(mailbox.User, mailbox.Password!, cancellationToken).ConfigureAwait(false);
            return;
        }

        var token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await client.AuthenticateAsync(new SaslMechanismOAuth2(mailbox.User, token), cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException)
        {
            // Revoked or expired early: fetch a fresh token on the next attempt.
            tokens.Invalidate();
            throw;
        }
    }

    private static async Task<IMailFolder> GetOrCreateFolderAsync(ImapClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetFolderAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (FolderNotFoundException)
        {
        }

        var parent = client.GetFolder(client.PersonalNamespaces[0])
            ?? throw new InvalidOperationException($"the server lists no personal namespace to create '{path}' in.");
        var separator = parent.DirectorySeparator == '\0' ? '/' : parent.DirectorySeparator;
        foreach (var name in path.Split(separator, StringSplitOptions.RemoveEmptyEntries))
        {
            var subfolders = await parent.GetSubfoldersAsync(false, cancellationToken).ConfigureAwait(false);
            parent = subfolders.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal))
                ?? await parent.CreateAsync(name, isMessageFolder: true, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"the folder '{path}' could not be created.");
        }

        return parent;
    }

    private async Task ReportAsync(long? waiting, string? error, CancellationToken cancellationToken)
    {
        try
        {
            await sink.ReportSourceStatusAsync(
                new InboundSourceStatus(mailbox.SourceId, mailbox.Description, waiting, timeProvider.GetUtcNow(), error), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Reconciliation figures are informative; failing to record them must not stop the import.
            LogReportFailed(logger, ex, mailbox.Id);
        }
    }

    /// <summary>The reason for the health check, in an administrator's words.</summary>
    private string Describe(Exception ex) => ex switch
    {
        AuthenticationException => $"authentication failed for {mailbox.User}: {ex.Message} Check the user and password (or the OAuth2 settings).",
        OAuth2TokenException => $"no OAuth2 access token: {ex.Message}",
        SslHandshakeException => $"TLS with {mailbox.Host}:{mailbox.Port} failed: {ex.Message} (self-signed? set certificateThumbprint).",
        SocketException or TimeoutException => $"{mailbox.Host}:{mailbox.Port} is unreachable: {ex.Message}",
        FolderNotFoundException => $"the folder '{mailbox.Folder}' does not exist for {mailbox.User}.",
        ImapProtocolException or IOException => $"the connection to {mailbox.Host}:{mailbox.Port} broke: {ex.Message}",
        ImapCommandException => $"the server refused a command: {ex.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "IMAP mailbox '{MailboxId}' connected to {Description}; waiting for mail by {Mode}.")]
    private static partial void LogConnected(ILogger logger, string mailboxId, string description, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP mailbox '{MailboxId}': {Problem} Reconnecting in {Delay}.")]
    private static partial void LogSessionFailed(ILogger logger, Exception exception, string mailboxId, string problem, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP mailbox '{MailboxId}': UIDVALIDITY changed from {Old} to {New}; the folder is scanned again from the start.")]
    private static partial void LogUidValidityChanged(ILogger logger, string mailboxId, uint old, uint @new);

    [LoggerMessage(Level = LogLevel.Debug, Message = "IMAP mailbox '{MailboxId}': UID {Uid} accepted: {Disposition} {TicketId} {Reason}")]
    private static partial void LogAccepted(ILogger logger, string mailboxId, uint uid, InboundMailDisposition disposition, string? ticketId, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP mailbox '{MailboxId}': UID {Uid} was not accepted by the platform; it stays in the folder and is offered again.")]
    private static partial void LogNotAccepted(ILogger logger, Exception exception, string mailboxId, uint uid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP mailbox '{MailboxId}': the source status could not be reported.")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string mailboxId);
}
