using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Notifications;
using SupportPlatform.Sdk.Webhooks;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using Twilio.Types;
using TwilioHttpMethod = Twilio.Http.HttpMethod;

namespace SupportPlatform.Plugins.Telephony.Twilio;

/// <summary>
/// Staff notifications by SMS or voice call through Twilio's REST API (Messages and Calls resources), with the Twilio
/// SDK: an SMS carries the subject, the text and the link; a call reads the subject and text with <c>&lt;Say&gt;</c>
/// and, for an escalation, offers "press 1 to acknowledge" with <c>&lt;Gather&gt;</c> whose action is the plugin's
/// <c>notify/gather</c> hook. Each request names a status callback (<c>notify/status?delivery=...</c>) so the
/// provider's later outcome reaches the delivery log. Twilio's refusals (4xx with its error body, 429, 5xx) and network
/// failures come back as a failed result with Twilio's code and message; the host retries and then falls through.
/// An SMS retried after an unanswered attempt is first looked up in Twilio's message list, so a lost answer does not
/// send it twice. Calls are not looked up: a call cannot be told apart from another call to the same number, and a
/// second call is better than a wake-up call skipped, so a call stays at least once.
/// </summary>
internal sealed partial class TwilioNotificationChannel(string channel, TwilioRest rest, TwilioSettings settings, IWebhookUrls urls, ILogger<TwilioNotificationChannel> logger)
    : INotificationChannel
{
    /// <summary>Twilio's limit for a message body.</summary>
    private const int MaxSmsLength = 1600;

    /// <summary>
    /// SMS deliveries whose last attempt may have reached Twilio although no answer came back (a network failure or a
    /// 5xx after the request was sent), with the time of that attempt. Twilio's Messages API takes no idempotency key,
    /// so before such a delivery is tried again the plugin looks for the message it may already have created.
    /// </summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> uncertain = new(StringComparer.Ordinal);

    public string Channel => channel;

    public async Task<NotificationSendResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (string.IsNullOrWhiteSpace(message.Address))
        {
            return NotificationSendResult.Failed($"no phone number for {message.RecipientId}");
        }

        var status = urls.GetUrl("notify/status?delivery=" + Uri.EscapeDataString(message.Id));
        try
        {
            if (channel == NotificationChannels.Sms)
            {
                var body = SmsBody(message);
                if (uncertain.TryGetValue(message.Id, out var since) && await EarlierAsync(message.Address, body, since) is { } earlier)
                {
                    // The earlier attempt did create the message: report it as sent, and send nothing twice.
                    uncertain.TryRemove(message.Id, out _);
                    LogReconciled(logger, message.Id, earlier.Sid);
                    return NotificationSendResult.Ok(earlier.Sid);
                }

                var attempt = DateTimeOffset.UtcNow;
                try
                {
                    var sms = await MessageResource.CreateAsync(
                        new CreateMessageOptions(new PhoneNumber(message.Address)) { From = rest.From, Body = body, StatusCallback = status },
                        rest.Client);
                    uncertain.TryRemove(message.Id, out _);
                    return NotificationSendResult.Ok(sms.Sid);
                }
                catch (Exception ex) when (Ambiguous(ex, cancellationToken))
                {
                    Remember(message.Id, attempt);
                    throw;
                }
            }

            var call = await CallResource.CreateAsync(
                new CreateCallOptions(new PhoneNumber(message.Address), rest.From)
                {
                    Twiml = new Twiml(CallTwiml(message)),
                    StatusCallback = status,
                    StatusCallbackMethod = TwilioHttpMethod.Post,
                    Timeout = 30,
                },
                rest.Client);
            return NotificationSendResult.Ok(call.Sid);
        }
        catch (ApiException ex)
        {
            // Twilio's error body: {"code": 21211, "message": "...", "more_info": "...", "status": 400}; 429 is its rate limit.
            var what = ex.Status == 429 ? "rate limited (429)" : $"refused ({ex.Status}, error {ex.Code.ToString(CultureInfo.InvariantCulture)})";
            LogRefused(logger, channel, message.Id, ex.Status, ex.Code, ex.Message);
            return NotificationSendResult.Failed($"Twilio {what}: {ex.Message}");
        }
        catch (Exception ex) when (ex is ApiConnectionException or HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return NotificationSendResult.Failed($"Twilio could not be reached at {rest.BaseUrl}: {ex.Message}");
        }
    }

    /// <summary>
    /// A failure after which Twilio may still have created the resource: no answer (network, timeout) or a server error.
    /// A 4xx (429 included) is a refusal: nothing was created.
    /// </summary>
    private static bool Ambiguous(Exception ex, CancellationToken cancellationToken) =>
        ex is ApiConnectionException or HttpRequestException or ApiException { Status: >= 500 }
        || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private void Remember(string delivery, DateTimeOffset attempt)
    {
        uncertain.TryAdd(delivery, attempt); // the first uncertain attempt is the earliest the message can date from
        if (uncertain.Count > 1000)
        {
            // Deliveries the host gave up on (it fell through to the next channel) are not asked about again.
            foreach (var old in uncertain.Where(u => u.Value < attempt.AddDays(-1)))
            {
                uncertain.TryRemove(old.Key, out _);
            }
        }
    }

    /// <summary>
    /// The message an earlier, unanswered attempt created: the newest messages from our number to <paramref name="to"/>
    /// (Messages list, filtered by To and From), one with the same body created since that attempt (a minute of clock
    /// skew allowed). Errors propagate: the attempt then fails and is retried, rather than risk a second text.
    /// </summary>
    private async Task<MessageResource?> EarlierAsync(string to, string body, DateTimeOffset since)
    {
        var recent = await MessageResource.ReadAsync(new ReadMessageOptions { To = new PhoneNumber(to), From = rest.From, PageSize = 50, Limit = 50 }, rest.Client);
        return recent.FirstOrDefault(m => m.Body == body && m.DateCreated is { } created && created >= since.UtcDateTime.AddMinutes(-1));
    }

    private static string SmsBody(NotificationMessage message)
    {
        var body = message.Subject + "\n" + message.Text + (message.Link is null ? "" : "\n" + message.Link);
        return body.Length <= MaxSmsLength ? body : body[..(MaxSmsLength - 1)] + "…";
    }

    /// <summary>What the call says: the subject and text, and for an escalation a one-digit gather to acknowledge.</summary>
    internal string CallTwiml(NotificationMessage message)
    {
        var voice = settings.Voice is null ? null : (Say.VoiceEnum)settings.Voice;
        var text = $"{message.Subject}. {message.Text}";
        var response = new VoiceResponse();
        if (message.EventType == "escalation")
        {
            var gather = new Gather(action: urls.GetUrl("notify/gather?delivery=" + Uri.EscapeDataString(message.Id)), method: TwilioHttpMethod.Post, timeout: 10, numDigits: 1);
            gather.Say(text + " Press 1 to acknowledge.", voice: voice);
            response.Append(gather);
            response.Say("No key was pressed. The escalation goes on. Goodbye.", voice: voice);
        }
        else
        {
            response.Say(text, voice: voice);
        }

        return response.ToString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS notification {Delivery}: an earlier unanswered attempt did reach Twilio ({Sid}); not sent again")]
    private static partial void LogReconciled(ILogger logger, string delivery, string sid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio refused the {Channel} notification {Delivery}: HTTP {Status}, error {Code}: {Error}")]
    private static partial void LogRefused(ILogger logger, string channel, string delivery, int status, int code, string error);
}

/// <summary>The REST client for the configured account, sending to <see cref="BaseUrl"/>, and the number messages come from.</summary>
internal sealed class TwilioRest(ITwilioRestClient client, PhoneNumber from, Uri baseUrl)
{
    public ITwilioRestClient Client { get; } = client;

    public PhoneNumber From { get; } = from;

    public Uri BaseUrl { get; } = baseUrl;
}

/// <summary>
/// Sends the Twilio SDK's requests to a configured base address instead of <c>https://api.twilio.com</c> (a regional
/// proxy, or a test server): the SDK has region and edge settings but no base address, so the handler swaps the
/// scheme, host and port and prefixes the base's path, keeping the SDK's path and query.
/// </summary>
internal sealed class BaseAddressHandler(Uri baseUrl) : DelegatingHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Only the REST API's own host is redirected (the channels use its 2010-04-01 Messages and Calls resources).
        if (request.RequestUri is { Host: "api.twilio.com" } uri && !(baseUrl.Host == uri.Host && baseUrl.Scheme == uri.Scheme && baseUrl.AbsolutePath == "/"))
        {
            var prefix = baseUrl.AbsolutePath.TrimEnd('/');
            request.RequestUri = new UriBuilder(baseUrl.Scheme, baseUrl.Host, baseUrl.Port, prefix + uri.AbsolutePath) { Query = uri.Query.TrimStart('?') }.Uri;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
