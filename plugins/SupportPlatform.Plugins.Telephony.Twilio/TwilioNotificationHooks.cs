using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Notifications;
using SupportPlatform.Sdk.Webhooks;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using TwilioHttpMethod = Twilio.Http.HttpMethod;

namespace SupportPlatform.Plugins.Telephony.Twilio;

/// <summary>
/// The notification webhooks, below <c>/hooks/twilio/</c>, reached after the signature check:
/// <list type="bullet">
/// <item><c>sms</c> (the number's "A message comes in" URL): a staff member's reply; answered with TwiML
/// <c>&lt;Message&gt;</c> saying what it did (acknowledged, or why not).</item>
/// <item><c>notify/status?delivery=id</c>: a notification SMS's <c>MessageStatus</c> or call's <c>CallStatus</c>,
/// recorded in the delivery log.</item>
/// <item><c>notify/gather?delivery=id</c>: the digit pressed during a notification call; 1 acknowledges.</item>
/// </list>
/// </summary>
internal sealed partial class TwilioNotificationHooks(IEnumerable<INotificationFeedback> feedback, TwilioSettings settings, IWebhookUrls urls, ILogger<TwilioNotificationHooks> logger)
{
    public static bool Handles(string path) => path == "/sms" || path.StartsWith("/notify/", StringComparison.Ordinal);

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        if (feedback.FirstOrDefault() is not { } host)
        {
            return WebhookResponse.Text(404, "The platform's notifications module is not installed: SMS replies and notification callbacks have nowhere to go.");
        }

        var delivery = request.Query.TryGetValue("delivery", out var d) && d.Count > 0 && d[0].Length > 0 ? d[0] : null;
        switch (request.Path)
        {
            case "/sms":
            {
                if (Value(form, "From") is not { } from)
                {
                    return WebhookResponse.Text(400, "The message has no From number.");
                }

                var reply = await host.HandleReplyAsync(from, Value(form, "Body") ?? "", cancellationToken);
                LogReply(logger, Value(form, "MessageSid") ?? "?", reply.Acknowledged);
                return WebhookResponse.Xml(200, new MessagingResponse().Message(reply.Text).ToString());
            }

            case "/notify/status" when delivery is not null:
            {
                var status = Value(form, "MessageStatus") ?? Value(form, "CallStatus");
                if (status is null)
                {
                    return WebhookResponse.Text(400, "The status callback has neither MessageStatus nor CallStatus.");
                }

                var error = Value(form, "ErrorCode") is { } code ? $"Twilio error {code}" + (Value(form, "ErrorMessage") is { } m ? ": " + m : "") : null;
                if (!await host.ReportStatusAsync(delivery, status, error, cancellationToken))
                {
                    LogUnknownDelivery(logger, delivery);
                }

                return WebhookResponse.Status(204);
            }

            case "/notify/gather" when delivery is not null:
            {
                var voice = settings.Voice is null ? null : (Say.VoiceEnum?)(Say.VoiceEnum)settings.Voice;
                var response = new VoiceResponse();
                var digits = Value(form, "Digits");
                if (digits == "1")
                {
                    var result = await host.AcknowledgeDeliveryAsync(delivery, "voice", cancellationToken);
                    response.Say(result.Text, voice: voice);
                    return WebhookResponse.Xml(200, response.Hangup().ToString());
                }

                var gather = new Gather(action: urls.GetUrl("notify/gather?delivery=" + Uri.EscapeDataString(delivery)), method: TwilioHttpMethod.Post, timeout: 10, numDigits: 1);
                gather.Say(digits is null ? "Press 1 to acknowledge." : $"You pressed {digits}. Press 1 to acknowledge.", voice: voice);
                response.Append(gather);
                response.Say("Not acknowledged. Goodbye.", voice: voice);
                return WebhookResponse.Xml(200, response.ToString());
            }

            default:
                return WebhookResponse.Text(404, $"No Twilio notification webhook at {request.Path}{(delivery is null && request.Path.StartsWith("/notify/", StringComparison.Ordinal) ? " without ?delivery=" : "")}; use sms, notify/status?delivery= or notify/gather?delivery=.");
        }
    }

    private static string? Value(Dictionary<string, string> form, string name) =>
        form.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS reply {MessageSid}: acknowledged an escalation: {Acknowledged}")]
    private static partial void LogReply(ILogger logger, string messageSid, bool acknowledged);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A Twilio status callback named delivery {Delivery}, which the delivery log does not hold")]
    private static partial void LogUnknownDelivery(ILogger logger, string delivery);
}
