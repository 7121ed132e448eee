using System.Globalization;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Telephony;
using SupportPlatform.Sdk.Webhooks;
using Twilio.Security;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using Twilio.Types;
using TwilioHttpMethod = Twilio.Http.HttpMethod;

namespace SupportPlatform.Plugins.Telephony.Twilio;

/// <summary>
/// Every Twilio voice webhook, below <c>/hooks/twilio/</c>:
/// <list type="bullet">
/// <item><c>voice</c> (the number's "A call comes in" URL): reports the call and answers TwiML from the platform's
/// route: <c>&lt;Dial&gt;</c> the on-duty numbers, or <c>&lt;Say&gt;</c> the greeting and <c>&lt;Record&gt;</c>.</item>
/// <item><c>dial-action?attempt=n</c>: the ring attempt's outcome; answered and finished: the talk time counts;
/// unanswered: the next attempt's route (sequential ringing) or the voicemail.</item>
/// <item><c>number-status</c>: a staff leg was answered: who took the call.</item>
/// <item><c>record-action</c>, <c>recording-status</c>: the voicemail; <c>transcription</c>: its text.</item>
/// <item><c>status</c> (the number's call status callback): the call ended.</item>
/// <item><c>sms</c>, <c>notify/status</c>, <c>notify/gather</c>: staff notifications (<see cref="TwilioNotificationHooks"/>).</item>
/// </list>
/// Each request is checked against <c>X-Twilio-Signature</c> (HMAC-SHA1 of the public URL and the form, keyed by the
/// auth token) first: a forged or unsigned one gets 403 and changes nothing. Events carry ids made from the
/// CallSid and the callback (RecordingSid, TranscriptionSid, dial attempt...), so Twilio's retries count once. A
/// callback is answered 2xx only after the platform stored it; when the platform cannot store it, 503 with the reason
/// (Twilio then retries a callback, or plays its error message on a call), never an unhandled exception.
/// </summary>
internal sealed partial class TwilioVoiceHandler(TwilioSettings settings, ITelephonyService telephony, IWebhookUrls urls, TwilioNotificationHooks notifications, ILogger<TwilioVoiceHandler> logger) : IWebhookHandler
{
    private const string Provider = "twilio";
    private readonly RequestValidator validator = new(settings.AuthToken);

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await HandleVerifiedAsync(request, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            // The platform refused the values themselves (a CallSid with control characters, say): a retry cannot help, so
            // 400 and not 503. Found by the fuzz pass in tests/SupportPlatform.Faults.Tests (it used to be retried for ever).
            LogRefused(logger, request.Path, ex.Message);
            return WebhookResponse.Text(400, "The callback carries values no Twilio callback has: " + ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Found by the SDK conformance kit: an unavailable phone module used to surface as an unhandled exception (500).
            LogNotStored(logger, ex, request.Path);
            return WebhookResponse.Text(503, "The call event could not be stored; retry.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A Twilio callback to {Path} was refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A Twilio callback to {Path} could not be stored; Twilio will retry")]
    private static partial void LogNotStored(ILogger logger, Exception exception, string path);

    private async Task<WebhookResponse> HandleVerifiedAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != "POST")
        {
            return WebhookResponse.Text(405, "Twilio webhooks are POST requests.");
        }

        var form = request.Form.ToDictionary(p => p.Key, p => p.Value.Count > 0 ? p.Value[0] : "", StringComparer.Ordinal);
        if (request.Header("X-Twilio-Signature") is not { Length: > 0 } signature
            || !validator.Validate(request.PublicUrl.ToString(), form, signature))
        {
            return WebhookResponse.Text(403, "The X-Twilio-Signature does not match this request: check Plugins:twilio:authToken and SupportPlatform:PublicUrl (the address Twilio calls).");
        }

        if (TwilioNotificationHooks.Handles(request.Path))
        {
            return await notifications.HandleAsync(request, form, cancellationToken);
        }

        var callSid = Value(form, "CallSid");
        if (callSid is null)
        {
            return WebhookResponse.Text(400, "The request has no CallSid.");
        }

        var at = request.ReceivedAt;
        CallEvent Event(string parentSid, CallEventKind kind, string eventId) =>
            new(Provider, parentSid, kind, eventId, at) { From = Value(form, "From"), To = Value(form, "To") };

        switch (request.Path)
        {
            case "/voice":
            {
                await telephony.ReportAsync(Event(callSid, CallEventKind.Started, "voice"), cancellationToken);
                var route = await telephony.RouteCallAsync(
                    new IncomingCall(Provider, callSid, Value(form, "From") ?? "", Value(form, "To") ?? "") { CallerName = Value(form, "CallerName") },
                    cancellationToken);
                return TwiML(Answer(route, 0));
            }

            case "/dial-action":
            {
                var attempt = int.TryParse(request.Query.TryGetValue("attempt", out var a) && a.Count > 0 ? a[0] : "0", NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
                var status = Value(form, "DialCallStatus") ?? "";
                if (status is "completed" or "answered")
                {
                    var seconds = long.TryParse(Value(form, "DialCallDuration"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
                    await telephony.ReportAsync(
                        Event(callSid, CallEventKind.Connected, $"dial-action:{attempt}") with { TalkDuration = TimeSpan.FromSeconds(seconds), Status = status },
                        cancellationToken);
                    return TwiML(new VoiceResponse().Hangup());
                }

                await telephony.ReportAsync(Event(callSid, CallEventKind.NotAnswered, $"dial-action:{attempt}") with { Status = status }, cancellationToken);
                var next = await telephony.RouteCallAsync(new IncomingCall(Provider, callSid, Value(form, "From") ?? "", Value(form, "To") ?? "", attempt + 1), cancellationToken);
                return TwiML(Answer(next, attempt + 1));
            }

            case "/number-status":
            {
                // A staff leg's callback: CallSid is the leg, ParentCallSid the caller's call, To the staff number.
                if (Value(form, "ParentCallSid") is { } parent && Value(form, "CallStatus") is "in-progress" or "answered")
                {
                    await telephony.ReportAsync(
                        new CallEvent(Provider, parent, CallEventKind.Answered, "answered:" + callSid, at) { AgentNumber = Value(form, "To") },
                        cancellationToken);
                }

                return WebhookResponse.Status(204);
            }

            case "/record-action":
            {
                if (Value(form, "RecordingUrl") is { } url && Seconds(form, "RecordingDuration") is > 0)
                {
                    await telephony.ReportAsync(Voicemail(Event(callSid, CallEventKind.Voicemail, "record-action"), form, url), cancellationToken);
                }

                var thanks = new VoiceResponse();
                thanks.Say("Thank you. Goodbye.", voice: Voice());
                return TwiML(thanks.Hangup());
            }

            case "/recording-status":
            {
                if (Value(form, "RecordingStatus") == "completed" && Value(form, "RecordingUrl") is { } url && Seconds(form, "RecordingDuration") is > 0)
                {
                    await telephony.ReportAsync(
                        Voicemail(Event(callSid, CallEventKind.Voicemail, "recording:" + (Value(form, "RecordingSid") ?? url)), form, url),
                        cancellationToken);
                }

                return WebhookResponse.Status(204);
            }

            case "/transcription":
            {
                if (Value(form, "TranscriptionStatus") == "completed" && Value(form, "TranscriptionText") is { } text)
                {
                    await telephony.ReportAsync(
                        Event(callSid, CallEventKind.Transcription, "transcription:" + (Value(form, "TranscriptionSid") ?? Value(form, "RecordingSid") ?? "1")) with { Transcription = text },
                        cancellationToken);
                }

                return WebhookResponse.Status(204);
            }

            case "/status":
            {
                var status = Value(form, "CallStatus") ?? "";
                if (status is "completed" or "busy" or "no-answer" or "failed" or "canceled")
                {
                    await telephony.ReportAsync(Event(callSid, CallEventKind.Ended, "status:" + status) with { Status = status }, cancellationToken);
                }

                return WebhookResponse.Status(204);
            }

            default:
                return WebhookResponse.Text(404, $"No Twilio webhook at {request.Path}; use voice, dial-action, number-status, record-action, recording-status, transcription, status, sms, notify/status or notify/gather.");
        }
    }

    private static CallEvent Voicemail(CallEvent callEvent, Dictionary<string, string> form, string url) => callEvent with
    {
        RecordingId = Value(form, "RecordingSid"),
        // Twilio's RecordingUrl serves the audio with the account's credentials; ".mp3" picks the smaller format.
        RecordingUrl = url,
        RecordingDuration = Seconds(form, "RecordingDuration") is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
    };

    /// <summary>The TwiML for a route: ring staff (with the next attempt's action), or greet and record.</summary>
    private VoiceResponse Answer(CallRoute route, int attempt)
    {
        var response = new VoiceResponse();
        if (route.Action == CallRouteAction.Dial && route.Numbers.Count > 0)
        {
            var dial = new Dial(action: urls.GetUrl($"dial-action?attempt={attempt}"), method: TwilioHttpMethod.Post, timeout: (int)route.RingTimeout.TotalSeconds);
            foreach (var number in route.Numbers)
            {
                dial.Number(
                    new PhoneNumber(number),
                    statusCallbackEvent: [Number.EventEnum.Answered, Number.EventEnum.Completed],
                    statusCallback: urls.GetUrl("number-status"),
                    statusCallbackMethod: TwilioHttpMethod.Post);
            }

            return response.Append(dial);
        }

        response.Say(route.Greeting, voice: Voice());
        response.Record(
            action: urls.GetUrl("record-action"),
            method: TwilioHttpMethod.Post,
            maxLength: (int)route.MaxVoicemail.TotalSeconds,
            playBeep: true,
            recordingStatusCallback: urls.GetUrl("recording-status"),
            recordingStatusCallbackMethod: TwilioHttpMethod.Post,
            transcribe: route.Transcribe,
            transcribeCallback: route.Transcribe ? urls.GetUrl("transcription") : null);
        return response;
    }

    private Say.VoiceEnum? Voice() => settings.Voice is null ? null : (Say.VoiceEnum)settings.Voice;

    private static WebhookResponse TwiML(VoiceResponse response) => WebhookResponse.Xml(200, response.ToString());

    private static string? Value(Dictionary<string, string> form, string name) =>
        form.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    private static long? Seconds(Dictionary<string, string> form, string name) =>
        long.TryParse(Value(form, name), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
}
