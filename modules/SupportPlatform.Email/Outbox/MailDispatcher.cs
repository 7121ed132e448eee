using System.Text.Json;
using Dapper;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Email.Outbox;

/// <summary>
/// Delivers the outbox over SMTP (MailKit). Each pass leases a handful of due messages (a lease keeps other nodes off
/// them; an expired lease, e.g. of a node that died, frees them again), sends them over one connection, and records
/// each outcome: sent; failed for good (the server refused the recipient or the message permanently, or retries ran
/// past <see cref="EmailOptions.GiveUpAfter"/>); or due again after a growing back-off. Delivery is at least once: a
/// node dying between the server's acceptance and the "sent" mark sends that message again, with the same Message-ID.
/// </summary>
internal sealed class MailDispatcher(
    IDatabase database,
    IOptionsMonitor<EmailOptions> options,
    MailSignal signal,
    TimeProvider clock,
    ILogger<MailDispatcher> logger) : BackgroundService
{
    private const int PerPass = 20;
    private readonly Lock tokenLock = new();
    private (SmtpOAuth2Options Settings, OAuth2TokenSource Source)? tokens;
    private HttpClient? tokenHttp;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    /// <summary>The token source for the current OAuth2 settings (a new one when the settings were reloaded).</summary>
    private OAuth2TokenSource Tokens(SmtpOAuth2Options oauth)
    {
        lock (tokenLock)
        {
            if (tokens is { } kept && ReferenceEquals(kept.Settings, oauth))
            {
                return kept.Source;
            }

            tokenHttp ??= new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(30) };
            var source = new OAuth2TokenSource(
                new OAuth2ClientSettings
                {
                    TokenEndpoint = new Uri(oauth.TokenEndpoint!), ClientId = oauth.ClientId!, ClientSecret = NullIfEmpty(oauth.ClientSecret),
                    RefreshToken = NullIfEmpty(oauth.RefreshToken), Scope = NullIfEmpty(oauth.Scope),
                },
                tokenHttp,
                clock);
            tokens = (oauth, source);
            return source;
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var sent = 0;
            try
            {
                if (options.CurrentValue.Smtp.Configured)
                {
                    sent = await PassAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Mail delivery pass failed; retrying at the next pass");
            }

            if (sent < PerPass)
            {
                try
                {
                    await signal.WaitAsync(options.CurrentValue.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Leases and sends one pass of due messages; returns how many were leased.</summary>
    internal async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        List<OutboxRow> due;
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            due = (await connection.QueryAsync<OutboxRow>(new CommandDefinition(
                """
                UPDATE sp_mail_outbox SET lease_until_ms = @lease
                WHERE id IN (SELECT id FROM sp_mail_outbox
                             WHERE status = 'pending' AND next_attempt_at_ms <= @now AND (lease_until_ms IS NULL OR lease_until_ms < @now)
                             ORDER BY next_attempt_at_ms LIMIT @limit)
                  AND (lease_until_ms IS NULL OR lease_until_ms < @now)
                RETURNING id, message_id, to_address, subject, text_body, html_body, headers, attempts, created_at_ms, inline_images
                """,
                new { now, lease = now + (long)Lease.TotalMilliseconds, limit = PerPass },
                cancellationToken: cancellationToken))).ToList();
        }

        if (due.Count == 0)
        {
            return 0;
        }

        var settings = options.CurrentValue;
        // Every wait on the server is bounded (MailKit's default is 2 minutes, as long as the lease): a stalled server
        // costs one timeout per pass, and the pass stops before the lease runs out, so no other node sends the same
        // message while this one still might.
        using var smtp = new SmtpClient { Timeout = (int)settings.Smtp.Timeout.TotalMilliseconds };
        var leasedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (settings.Smtp.AcceptAnyCertificate)
            {
                smtp.ServerCertificateValidationCallback = (_, _, _, _) => true;
            }

            await smtp.ConnectAsync(settings.Smtp.Host!, settings.Smtp.Port, settings.Smtp.Security, cancellationToken);
            if (settings.Smtp.OAuth2.Configured)
            {
                var source = Tokens(settings.Smtp.OAuth2);
                try
                {
                    await smtp.AuthenticateAsync(new SaslMechanismOAuth2(settings.Smtp.UserName!, await source.GetTokenAsync(cancellationToken)), cancellationToken);
                }
                catch (AuthenticationException)
                {
                    // Revoked or expired early: the next pass asks the endpoint for a new one.
                    source.Invalidate();
                    throw;
                }
            }
            else if (!string.IsNullOrEmpty(settings.Smtp.UserName))
            {
                await smtp.AuthenticateAsync(settings.Smtp.UserName, settings.Smtp.Password ?? "", cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The server is unreachable or refused us: every leased message is retried later.
            foreach (var row in due)
            {
                await RecordFailureAsync(row, ex, permanent: false, cancellationToken);
            }

            return due.Count;
        }

        foreach (var row in due)
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(leasedAt) > Lease - (settings.Smtp.Timeout * 2))
            {
                break; // the rest keep their lease until it ends, then any node sends them
            }

            try
            {
                await smtp.SendAsync(ToMime(row, settings), cancellationToken);
                await RecordAsync(
                    "UPDATE sp_mail_outbox SET status = 'sent', sent_at_ms = @now, attempts = attempts + 1, lease_until_ms = NULL, last_error = NULL WHERE id = @id",
                    new { id = row.Id, now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
                    cancellationToken);
                logger.LogInformation("Sent mail {Id} ({MessageId}) to {To}", row.Id, row.Message_Id, row.To_Address);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var permanent = ex is SmtpCommandException { StatusCode: >= (SmtpStatusCode)500 } || ex is FormatException or ParseException;
                await RecordFailureAsync(row, ex, permanent, cancellationToken);
                if (ex is ServiceNotConnectedException or IOException)
                {
                    break;
                }
            }
        }

        if (smtp.IsConnected)
        {
            await smtp.DisconnectAsync(quit: true, cancellationToken);
        }

        return due.Count;
    }

    private async Task RecordFailureAsync(OutboxRow row, Exception error, bool permanent, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var attempts = row.Attempts + 1;
        var givingUp = permanent || now - DateTimeOffset.FromUnixTimeMilliseconds(row.Created_At_Ms) >= options.CurrentValue.GiveUpAfter;

        // 30 s, 1 min, 2 min... capped at one hour.
        var backoff = TimeSpan.FromSeconds(Math.Min(30 * Math.Pow(2, attempts - 1), 3600));
        await RecordAsync(
            """
            UPDATE sp_mail_outbox SET status = @status, attempts = @attempts, next_attempt_at_ms = @next, lease_until_ms = NULL,
                last_error = @error WHERE id = @id
            """,
            new
            {
                id = row.Id,
                status = givingUp ? "failed" : "pending",
                attempts,
                next = (now + backoff).ToUnixTimeMilliseconds(),
                error = Describe(error),
            },
            cancellationToken);
        logger.Log(givingUp ? LogLevel.Error : LogLevel.Warning, error,
            givingUp ? "Mail {Id} to {To} failed for good after {Attempts} attempts" : "Mail {Id} to {To} not sent (attempt {Attempts}); retrying later",
            row.Id, row.To_Address, attempts);
    }

    /// <summary>The error as the admin view shows it: the server's reply code first when the server answered.</summary>
    private static string Describe(Exception error)
    {
        var text = error switch
        {
            SmtpCommandException command => $"{(int)command.StatusCode} {command.Message}",
            OAuth2TokenException => $"No OAuth2 access token for SMTP: {error.Message}",
            AuthenticationException => $"The SMTP server refused the sign-in: {error.Message}",
            _ => error.Message,
        };
        return text.Length > 1000 ? text[..1000] : text;
    }

    private async Task RecordAsync(string sql, object args, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
    }

    private static MimeMessage ToMime(OutboxRow row, EmailOptions settings)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From!));
        message.To.Add(MailboxAddress.Parse(row.To_Address));
        message.Subject = row.Subject;
        message.MessageId = row.Message_Id;
        if (row.Headers is { } headers)
        {
            foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(headers)!)
            {
                if (!name.Equals("Message-ID", StringComparison.OrdinalIgnoreCase))
                {
                    message.Headers.Replace(name, value);
                }
            }
        }

        var body = new BodyBuilder { TextBody = row.Text_Body, HtmlBody = row.Html_Body };
        foreach (var image in row.Inline_Images is { } inline ? JsonSerializer.Deserialize<List<StoredInlineImage>>(inline)! : [])
        {
            // LinkedResources of an HTML body become multipart/related parts, which the HTML names as cid:<ContentId>.
            var part = body.LinkedResources.Add(image.ContentId, Convert.FromBase64String(image.Base64), ContentType.Parse(image.MediaType));
            part.ContentId = image.ContentId;
        }

        message.Body = body.ToMessageBody();
        return message;
    }

    // Settable properties: Dapper converts int/bigint per back-end only for properties.
    private sealed class OutboxRow
    {
        public string Id { get; set; } = "";
        public string Message_Id { get; set; } = "";
        public string To_Address { get; set; } = "";
        public string Subject { get; set; } = "";
        public string Text_Body { get; set; } = "";
        public string? Html_Body { get; set; }
        public string? Headers { get; set; }
        public int Attempts { get; set; }
        public long Created_At_Ms { get; set; }
        public string? Inline_Images { get; set; }
    }
}
