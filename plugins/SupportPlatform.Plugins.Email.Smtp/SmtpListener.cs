using System.Buffers;
using System.Net;
using Microsoft.Extensions.Logging;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Plugins.Email.Smtp;

/// <summary>
/// Receives mail over SMTP for the configured recipients and hands each message to the sink; the client gets 250
/// only once <see cref="IInboundMailSink.AcceptAsync"/> returned, 451 when it threw (the client keeps the message
/// and retries). A failure to listen is shown by the health check and retried.
/// </summary>
internal sealed partial class SmtpListener(SmtpSettings settings, IInboundMailSink sink, TimeProvider timeProvider, ILogger<SmtpListener> logger)
    : IPluginBackgroundService, IPluginHealthCheck
{
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromMinutes(1);

    private volatile PluginHealthResult _health = PluginHealthResult.Degraded($"{settings.Description}: not listening yet.");

    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(_health);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _health = PluginHealthResult.Unhealthy($"{settings.Description}: cannot listen: {ex.Message}. Retrying in {delay.TotalSeconds:0} s.");
                LogListenFailed(logger, ex, settings.Address.ToString(), settings.Port);
            }

            try
            {
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRestartDelay.Ticks));
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        // SIZE is the platform's limit: larger mail is refused at MAIL FROM (when the client declares it) or during DATA,
        // so the sender learns of it from its own server instead of the mail vanishing.
        var limit = (int)Math.Clamp(sink.MaxMessageBytes, 1, int.MaxValue);
        var options = new SmtpServerOptionsBuilder()
            .ServerName(settings.ServerName)
            .MaxMessageSize(limit, MaxMessageSizeHandling.Strict)
            .CommandWaitTimeout(settings.CommandTimeout)
            .Endpoint(endpoint =>
            {
                endpoint.Endpoint(new IPEndPoint(settings.Address, settings.Port))
                    .IsSecure(false)
                    .AuthenticationRequired(settings.RequireAuthentication)
                    .AllowUnsecureAuthentication(settings.AllowAuthenticationWithoutTls);
                if (settings.Certificate is not null)
                {
                    // Offered as STARTTLS on the plain port.
                    endpoint.Certificate(settings.Certificate);
                }
            })
            .Build();

        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, e) =>
        {
            _health = PluginHealthResult.Healthy($"{settings.Description}: listening on {e.LocalEndPoint}.");
            LogListening(logger, e.LocalEndPoint?.ToString() ?? settings.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        };
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new RecipientFilter(settings));
        services.Add(new SinkStore(sink, timeProvider, logger));
        if (settings.Users.Count > 0)
        {
            services.Add(new Authenticator(settings.Users));
        }

        var server = new SmtpServer.SmtpServer(options, services);
        server.SessionFaulted += (_, e) => LogSessionFaulted(logger, e.Exception);
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Never an open relay: RCPT is accepted only for the configured addresses and domains.</summary>
    private sealed class RecipientFilter(SmtpSettings settings) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) => Task.FromResult(true);

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            var address = to.AsAddress();
            if (!settings.Accepts(address))
            {
                throw new SmtpResponseException(new SmtpResponse(
                    SmtpReplyCode.MailboxUnavailable, $"5.7.1 <{address}>: this server takes mail only for its own support addresses and relays nothing"));
            }

            return Task.FromResult(true);
        }
    }

    private sealed class SinkStore(IInboundMailSink sink, TimeProvider timeProvider, ILogger logger) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var from = transaction.From is null || string.IsNullOrEmpty(transaction.From.User) ? string.Empty : transaction.From.AsAddress();
            var mail = new InboundMail(SmtpSettings.SourceId, null, buffer.ToArray(), timeProvider.GetUtcNow())
            {
                EnvelopeFrom = from,
                EnvelopeRecipients = transaction.To.Select(t => t.AsAddress()).ToList(),
            };
            try
            {
                var result = await sink.AcceptAsync(mail, cancellationToken).ConfigureAwait(false);
                LogAccepted(logger, from, mail.EnvelopeRecipients.Count, result.Disposition, result.TicketId);
                return new SmtpResponse(SmtpReplyCode.Ok, "2.0.0 Stored");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new SmtpResponse((SmtpReplyCode)421, "4.3.2 Shutting down; try again later");
            }
            catch (Exception ex)
            {
                // Temporary: the sending server keeps the message and retries, so nothing is lost.
                LogNotAccepted(logger, ex, from);
                return new SmtpResponse((SmtpReplyCode)451, "4.3.0 The message could not be stored; try again later");
            }
        }
    }

    private sealed class Authenticator(IReadOnlyList<SmtpUser> users) : IUserAuthenticator
    {
        public Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken) =>
            Task.FromResult(users.Any(u => string.Equals(u.User, user, StringComparison.OrdinalIgnoreCase)
                && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(u.Password), System.Text.Encoding.UTF8.GetBytes(password ?? string.Empty))));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SMTP receiver listening on {Endpoint}.")]
    private static partial void LogListening(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Error, Message = "SMTP receiver cannot listen on {Address}:{Port}; retrying.")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, string address, int port);

    [LoggerMessage(Level = LogLevel.Debug, Message = "SMTP session failed.")]
    private static partial void LogSessionFaulted(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "SMTP message from <{From}> to {Recipients} recipient(s) stored: {Disposition} {TicketId}")]
    private static partial void LogAccepted(ILogger logger, string from, int recipients, InboundMailDisposition disposition, string? ticketId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMTP message from <{From}> could not be stored; answered 451 so the sender retries.")]
    private static partial void LogNotAccepted(ILogger logger, Exception exception, string from);
}
