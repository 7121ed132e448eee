using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Telephony;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Telephony.Asterisk;

/// <summary>
/// The Stasis application: holds the ARI event WebSocket (reconnecting with backoff), drives each support call
/// (answer, ring staff, bridge the one who answers, or greeting and voicemail), and reports every step to the
/// platform. Events are handled one at a time; every change to a call is written to the <see cref="CallJournal"/>
/// before anything else happens, and events are reported from there until the platform has stored them.
/// </summary>
/// <remarks>
/// After a reconnect (or a restart of the host) the application compares its journal with the channels Asterisk
/// has now. Events that happened while it was away are lost (Asterisk does not queue them), so a call that ended
/// meanwhile is closed at the last moment it was known to be up: talk time is never over-counted.
/// </remarks>
internal sealed class StasisApplication(
    AsteriskSettings settings,
    AriClient ari,
    CallJournal journal,
    RecordingStore recordings,
    ITelephonyService telephony,
    IWebhookUrls urls,
    AriHealth health,
    TimeProvider time,
    ILogger<StasisApplication> logger) : IPluginBackgroundService
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset? _lastAsteriskTime;
    private DateTimeOffset _lastLocalTime;
    private DateTimeOffset? _connectionLostAt;

    /// <summary>How many times the event stream was (re)connected; tests read it.</summary>
    public int Connections { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var retries = RetryLoopAsync(cancellationToken);
        var delay = TimeSpan.FromMilliseconds(500);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var socket = new ClientWebSocket();
                socket.Options.SetRequestHeader("Authorization", "Basic " + AriClient.Credentials(settings));
                socket.Options.CollectHttpResponseDetails = true;
                socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
                try
                {
                    await socket.ConnectAsync(settings.EventsUrl, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(500);
                    Connections++;
                    health.Set(PluginHealthResult.Healthy($"Connected to ARI at {settings.BaseUrl} as Stasis application '{settings.Application}'."));
                    await LockedAsync(() => ReconcileAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
                    await ReadAsync(socket, cancellationToken).ConfigureAwait(false);
                    health.Set(PluginHealthResult.Degraded($"ARI at {settings.BaseUrl} closed the event stream; reconnecting."));
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (WebSocketException) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    health.Set(PluginHealthResult.Unhealthy($"ARI at {settings.BaseUrl} refused user '{settings.Username}' ({(int)socket.HttpStatusCode}): check Plugins:asterisk:username and password against ari.conf."));
                }
                catch (Exception exception) when (exception is WebSocketException or HttpRequestException or IOException or AriException)
                {
                    health.Set(PluginHealthResult.Unhealthy($"Cannot use ARI at {settings.BaseUrl}: {exception.Message}"));
                    logger.LogWarning(exception, "ARI connection failed; reconnecting in {Delay}", delay);
                }

                _connectionLostAt = AsteriskNow();
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxReconnectDelay.Ticks));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            try
            {
                await retries.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task ReadAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
            message.SetLength(0);
            AriEvent? ariEvent;
            try
            {
                ariEvent = AriEvent.Parse(text, time.GetUtcNow());
            }
            catch (System.Text.Json.JsonException exception)
            {
                logger.LogWarning(exception, "ARI sent a message that is not JSON; ignored");
                continue;
            }

            if (ariEvent is null)
            {
                continue;
            }

            _lastAsteriskTime = ariEvent.Timestamp;
            _lastLocalTime = time.GetUtcNow();
            await LockedAsync(() => HandleAsync(ariEvent, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LockedAsync(Func<Task> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // One call's trouble (a refused ARI request, a platform outage) must not stop the event stream: the
            // journal keeps what is pending and the retry loop takes it up again.
            logger.LogWarning(exception, "Handling an ARI event failed; the call's pending steps are retried");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The time on Asterisk's clock now, from the last event's timestamp and the local time elapsed since.</summary>
    private DateTimeOffset AsteriskNow() =>
        _lastAsteriskTime is { } last ? last + (time.GetUtcNow() - _lastLocalTime) : time.GetUtcNow();

    internal async Task HandleAsync(AriEvent ariEvent, CancellationToken cancellationToken)
    {
        switch (ariEvent.Type)
        {
            case "StasisStart" when ariEvent.Args.Count >= 4 && ariEvent.Args[0] == "sp-agent":
                await OnStaffAnsweredAsync(ariEvent, cancellationToken).ConfigureAwait(false);
                break;
            case "StasisStart":
                await OnIncomingAsync(ariEvent, cancellationToken).ConfigureAwait(false);
                break;
            case "StasisEnd" or "ChannelDestroyed":
                await OnChannelGoneAsync(ariEvent, cancellationToken).ConfigureAwait(false);
                break;
            case "PlaybackFinished":
                if (ariEvent.PlaybackId is { } playback && journal.FindByPlayback(playback) is { Phase: CallPhase.Greeting } greeted)
                {
                    greeted.LastEventAt = ariEvent.Timestamp;
                    await StartRecordingAsync(greeted, cancellationToken).ConfigureAwait(false);
                }

                break;
            case "RecordingFinished" or "RecordingFailed":
                if (ariEvent.RecordingName is { } name && journal.FindByRecording(name) is { Phase: CallPhase.Recording } recorded)
                {
                    recorded.LastEventAt = ariEvent.Timestamp;
                    await TakeVoicemailAsync(recorded, ariEvent.Type == "RecordingFinished" ? ariEvent.RecordingDuration ?? -1 : 0, ariEvent.Timestamp, cancellationToken).ConfigureAwait(false);
                    // The recording is over (# pressed, silence, the time limit, or the caller hung up): the call ends.
                    await EndAsync(recorded, "completed", ariEvent.Timestamp, cancellationToken).ConfigureAwait(false);
                }

                break;
        }
    }

    private async Task OnIncomingAsync(AriEvent ariEvent, CancellationToken cancellationToken)
    {
        if (ariEvent.ChannelId is not { } id || journal.Find(id) is not null)
        {
            return;
        }

        var call = new CallRecord
        {
            CallId = id,
            From = ariEvent.CallerNumber ?? "",
            To = ariEvent.Exten ?? "",
            CallerName = string.IsNullOrEmpty(ariEvent.CallerName) ? null : ariEvent.CallerName,
            StartedAt = ariEvent.Timestamp,
            LastEventAt = ariEvent.Timestamp,
            Phase = CallPhase.Routing,
        };
        call.Queue(new PendingEvent { Kind = CallEventKind.Started, EventId = "started", At = ariEvent.Timestamp, From = call.From, To = call.To });
        journal.Add(call);
        await FlushAsync(call, cancellationToken).ConfigureAwait(false);
        await RouteAsync(call, 0, cancellationToken).ConfigureAwait(false);
    }

    private async Task RouteAsync(CallRecord call, int attempt, CancellationToken cancellationToken)
    {
        CallRoute route;
        try
        {
            route = await telephony.RouteCallAsync(new IncomingCall(AsteriskSettings.Provider, call.CallId, call.From, call.To, attempt) { CallerName = call.CallerName }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The platform cannot decide now: the caller still gets the greeting and can leave a message.
            logger.LogWarning(exception, "Routing call {Call} failed; taking a voicemail", call.CallId);
            route = new CallRoute(CallRouteAction.Voicemail, [], RingStrategy.Simultaneous, TimeSpan.Zero, "", TimeSpan.FromMinutes(2), false, "routing failed");
        }

        call.Attempt = attempt;
        if (route.Action == CallRouteAction.Dial && route.Numbers.Count > 0)
        {
            call.Phase = CallPhase.Dialing;
            var legs = route.Numbers.Select((number, i) => new CallLeg { ChannelId = $"{call.CallId}-a{attempt}-{i}", Number = number, Attempt = attempt }).ToList();
            call.Legs.AddRange(legs);
            journal.Save(call);
            await QuietlyAsync(ari.AnswerAsync(call.CallId, cancellationToken)).ConfigureAwait(false);
            await QuietlyAsync(ari.RingAsync(call.CallId, on: true, cancellationToken)).ConfigureAwait(false);
            var timeout = Math.Max(5, (int)route.RingTimeout.TotalSeconds);
            foreach (var leg in legs)
            {
                try
                {
                    await ari.OriginateAsync(leg.ChannelId, settings.EndpointFor(leg.Number), settings.Application, $"sp-agent,{call.CallId},{attempt},{leg.Number}", call.From, timeout, cancellationToken).ConfigureAwait(false);
                }
                catch (AriException exception)
                {
                    logger.LogWarning("Ringing {Endpoint} for call {Call} failed: {Reason}", settings.EndpointFor(leg.Number), call.CallId, exception.Message);
                    leg.Gone = true;
                }
            }

            journal.Save(call);
            if (legs.All(l => l.Gone))
            {
                await NoAnswerAsync(call, call.LastEventAt, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        call.Phase = CallPhase.Greeting;
        call.MaxVoicemailSeconds = Math.Max(5, (int)route.MaxVoicemail.TotalSeconds);
        journal.Save(call);
        await QuietlyAsync(ari.AnswerAsync(call.CallId, cancellationToken)).ConfigureAwait(false);
        await QuietlyAsync(ari.RingAsync(call.CallId, on: false, cancellationToken)).ConfigureAwait(false);
        try
        {
            await ari.PlayAsync(call.CallId, call.GreetingPlaybackId, settings.GreetingSound, cancellationToken).ConfigureAwait(false);
        }
        catch (AriException exception)
        {
            logger.LogWarning("Playing the greeting {Sound} failed ({Reason}); recording without it", settings.GreetingSound, exception.Message);
            await StartRecordingAsync(call, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task NoAnswerAsync(CallRecord call, DateTimeOffset at, CancellationToken cancellationToken)
    {
        call.Queue(new PendingEvent { Kind = CallEventKind.NotAnswered, EventId = $"not-answered:{call.Attempt}", At = at, Status = "no-answer" });
        journal.Save(call);
        await FlushAsync(call, cancellationToken).ConfigureAwait(false);
        await RouteAsync(call, call.Attempt + 1, cancellationToken).ConfigureAwait(false);
    }

    private async Task OnStaffAnsweredAsync(AriEvent ariEvent, CancellationToken cancellationToken)
    {
        var legId = ariEvent.ChannelId!;
        var call = journal.Find(ariEvent.Args[1]);
        if (call is not { Phase: CallPhase.Dialing } || call.AgentChannelId is not null)
        {
            // Answered too late (someone else took it, or the caller left): release the phone.
            await QuietlyAsync(ari.HangupAsync(legId, cancellationToken)).ConfigureAwait(false);
            return;
        }

        await ConnectAsync(call, legId, ariEvent.Args[3], ariEvent.Timestamp, cancellationToken).ConfigureAwait(false);
    }

    private async Task ConnectAsync(CallRecord call, string legId, string number, DateTimeOffset at, CancellationToken cancellationToken)
    {
        call.AgentChannelId = legId;
        call.AgentNumber = number;
        call.AnsweredAt = at;
        call.LastEventAt = at;
        call.Phase = CallPhase.Connected;
        call.Queue(new PendingEvent { Kind = CallEventKind.Answered, EventId = "answered", At = at, AgentNumber = number });
        journal.Save(call);
        await FlushAsync(call, cancellationToken).ConfigureAwait(false);
        await QuietlyAsync(ari.RingAsync(call.CallId, on: false, cancellationToken)).ConfigureAwait(false);
        await ari.CreateBridgeAsync(call.BridgeId, cancellationToken).ConfigureAwait(false);
        await ari.AddToBridgeAsync(call.BridgeId, [call.CallId, legId], cancellationToken).ConfigureAwait(false);
        foreach (var other in call.Legs.Where(l => !l.Gone && l.ChannelId != legId))
        {
            other.Gone = true;
            await QuietlyAsync(ari.HangupAsync(other.ChannelId, cancellationToken)).ConfigureAwait(false);
        }

        journal.Save(call);
    }

    private async Task OnChannelGoneAsync(AriEvent ariEvent, CancellationToken cancellationToken)
    {
        if (ariEvent.ChannelId is not { } id)
        {
            return;
        }

        if (journal.Find(id) is { } call)
        {
            if (call.Phase == CallPhase.Finished || call.CallerGone)
            {
                return;
            }

            call.CallerGone = true;
            call.LastEventAt = ariEvent.Timestamp;
            await CallerLeftAsync(call, ariEvent.Timestamp, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (journal.FindByLeg(id) is not { } owner || owner.Phase == CallPhase.Finished)
        {
            return;
        }

        owner.LastEventAt = ariEvent.Timestamp;
        if (owner.AgentChannelId == id)
        {
            // Staff hung up: the conversation is over.
            await HangUpConnectedAsync(owner, ariEvent.Timestamp, cancellationToken).ConfigureAwait(false);
            return;
        }

        var leg = owner.Legs.First(l => l.ChannelId == id);
        if (leg.Gone)
        {
            return;
        }

        leg.Gone = true;
        journal.Save(owner);
        if (owner.Phase == CallPhase.Dialing && owner.Legs.Where(l => l.Attempt == owner.Attempt).All(l => l.Gone))
        {
            await NoAnswerAsync(owner, ariEvent.Timestamp, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The caller's channel is gone (hung up, or found gone after a reconnect) at <paramref name="at"/>.</summary>
    private async Task CallerLeftAsync(CallRecord call, DateTimeOffset at, CancellationToken cancellationToken)
    {
        switch (call.Phase)
        {
            case CallPhase.Connected:
                await HangUpConnectedAsync(call, at, cancellationToken).ConfigureAwait(false);
                break;
            case CallPhase.Dialing:
                call.Queue(new PendingEvent { Kind = CallEventKind.NotAnswered, EventId = $"not-answered:{call.Attempt}", At = at, Status = "canceled" });
                await EndAsync(call, "canceled", at, cancellationToken).ConfigureAwait(false);
                break;
            case CallPhase.Recording:
                // Asterisk finishes the recording when the caller hangs up and says so with RecordingFinished; that ends the call.
                journal.Save(call);
                break;
            default:
                await EndAsync(call, "canceled", at, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task HangUpConnectedAsync(CallRecord call, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var talk = at - (call.AnsweredAt ?? at);
        call.Queue(new PendingEvent
        {
            Kind = CallEventKind.Connected,
            EventId = "connected",
            At = at,
            AgentNumber = call.AgentNumber,
            TalkSeconds = Math.Max(0, talk.TotalSeconds),
        });
        await EndAsync(call, "completed", at, cancellationToken).ConfigureAwait(false);
    }

    private async Task StartRecordingAsync(CallRecord call, CancellationToken cancellationToken)
    {
        call.Phase = CallPhase.Recording;
        call.RecordingName = "sp-" + string.Concat(call.CallId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-'));
        journal.Save(call);
        try
        {
            await ari.RecordAsync(call.CallId, call.RecordingName, call.MaxVoicemailSeconds, cancellationToken).ConfigureAwait(false);
        }
        catch (AriException exception)
        {
            logger.LogWarning("Recording a voicemail on call {Call} failed: {Reason}", call.CallId, exception.Message);
            await EndAsync(call, "failed", call.LastEventAt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fetches the finished recording (<paramref name="seconds"/> -1 when unknown, 0 when empty), stores it and reports the voicemail.</summary>
    private async Task TakeVoicemailAsync(CallRecord call, int seconds, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (call.VoicemailTaken || call.RecordingName is not { } name)
        {
            return;
        }

        var content = seconds == 0 ? null : await ari.RecordingFileAsync(name, cancellationToken).ConfigureAwait(false);
        if (content is { Length: > 0 })
        {
            await recordings.SaveAsync(name, content, cancellationToken).ConfigureAwait(false);
            call.Queue(new PendingEvent
            {
                Kind = CallEventKind.Voicemail,
                EventId = "voicemail:" + name,
                At = at,
                RecordingId = name,
                RecordingUrl = recordings.Link(urls, name).ToString(),
                RecordingSeconds = seconds > 0 ? seconds : null,
            });
        }

        call.VoicemailTaken = true;
        journal.Save(call);
        await FlushAsync(call, cancellationToken).ConfigureAwait(false);
    }

    private async Task EndAsync(CallRecord call, string status, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (call.Phase == CallPhase.Finished)
        {
            return;
        }

        call.Queue(new PendingEvent { Kind = CallEventKind.Ended, EventId = "ended", At = at, Status = status });
        call.Phase = CallPhase.Finished;
        journal.Save(call);
        await QuietlyAsync(ari.DestroyBridgeAsync(call.BridgeId, cancellationToken)).ConfigureAwait(false);
        foreach (var channel in call.Legs.Where(l => !l.Gone).Select(l => l.ChannelId).Append(call.AgentChannelId).Append(call.CallerGone ? null : call.CallId))
        {
            if (channel is not null)
            {
                await QuietlyAsync(ari.HangupAsync(channel, cancellationToken)).ConfigureAwait(false);
            }
        }

        await FlushAsync(call, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After (re)connecting: settles every journalled call against the channels Asterisk has now. What ended while
    /// the stream was down ended, at the latest, when it was lost.
    /// </summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var open = journal.All.Where(c => c.Phase != CallPhase.Finished).ToList();
        if (open.Count > 0)
        {
            var channels = await ari.ChannelStatesAsync(cancellationToken).ConfigureAwait(false);
            foreach (var call in open)
            {
                var lostAt = _connectionLostAt is { } lost && lost > call.LastEventAt ? lost : call.LastEventAt;
                var callerAlive = channels.ContainsKey(call.CallId);
                switch (call.Phase)
                {
                    case CallPhase.Connected when !callerAlive || !channels.ContainsKey(call.AgentChannelId!):
                        call.CallerGone = !callerAlive;
                        await HangUpConnectedAsync(call, lostAt, cancellationToken).ConfigureAwait(false);
                        break;
                    case CallPhase.Dialing when !callerAlive:
                        call.CallerGone = true;
                        await CallerLeftAsync(call, lostAt, cancellationToken).ConfigureAwait(false);
                        break;
                    case CallPhase.Dialing:
                        foreach (var leg in call.Legs.Where(l => l.Attempt == call.Attempt && !l.Gone).ToList())
                        {
                            if (!channels.TryGetValue(leg.ChannelId, out var state))
                            {
                                leg.Gone = true;
                            }
                            else if (state == "Up" && call.AgentChannelId is null)
                            {
                                // Staff answered while the stream was down (the StasisStart was lost).
                                await ConnectAsync(call, leg.ChannelId, leg.Number, lostAt, cancellationToken).ConfigureAwait(false);
                            }
                        }

                        journal.Save(call);
                        if (call.Phase == CallPhase.Dialing && call.Legs.Where(l => l.Attempt == call.Attempt).All(l => l.Gone))
                        {
                            await NoAnswerAsync(call, lostAt, cancellationToken).ConfigureAwait(false);
                        }

                        break;
                    case CallPhase.Recording when !await ari.IsRecordingLiveAsync(call.RecordingName!, cancellationToken).ConfigureAwait(false):
                        call.CallerGone = !callerAlive;
                        await TakeVoicemailAsync(call, -1, lostAt, cancellationToken).ConfigureAwait(false);
                        await EndAsync(call, "completed", lostAt, cancellationToken).ConfigureAwait(false);
                        break;
                    case CallPhase.Routing or CallPhase.Greeting when !callerAlive:
                        call.CallerGone = true;
                        await EndAsync(call, "canceled", lostAt, cancellationToken).ConfigureAwait(false);
                        break;
                    case CallPhase.Routing:
                        await RouteAsync(call, call.Attempt, cancellationToken).ConfigureAwait(false);
                        break;
                    case CallPhase.Greeting:
                        await StartRecordingAsync(call, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }

        foreach (var call in journal.All)
        {
            await FlushAsync(call, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Retries what is pending every few seconds: reports the platform did not take, voicemails not fetched.</summary>
    private async Task RetryLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(FlushInterval, cancellationToken).ConfigureAwait(false);
            await LockedAsync(async () =>
            {
                foreach (var call in journal.All.Where(c => c.Pending.Count > 0))
                {
                    await FlushAsync(call, cancellationToken).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reports the call's pending events in order; stops at the first the platform does not take (kept for the next try).</summary>
    private async Task FlushAsync(CallRecord call, CancellationToken cancellationToken)
    {
        try
        {
            while (call.Pending.Count > 0)
            {
                await telephony.ReportAsync(ToCallEvent(call, call.Pending[0]), cancellationToken).ConfigureAwait(false);
                call.Pending.RemoveAt(0);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            health.Set(PluginHealthResult.Degraded($"Call events wait for the platform (call {call.CallId}): {exception.Message}"));
            logger.LogWarning(exception, "Reporting call {Call} failed; retried", call.CallId);
        }
        finally
        {
            journal.Save(call);
        }
    }

    private static CallEvent ToCallEvent(CallRecord call, PendingEvent pending) =>
        new(AsteriskSettings.Provider, call.CallId, pending.Kind, pending.EventId, pending.At)
        {
            From = pending.From ?? call.From,
            To = pending.To ?? call.To,
            AgentNumber = pending.AgentNumber,
            TalkDuration = pending.TalkSeconds is { } talk ? TimeSpan.FromSeconds(Math.Round(talk)) : null,
            RecordingId = pending.RecordingId,
            RecordingUrl = pending.RecordingUrl,
            RecordingDuration = pending.RecordingSeconds is { } length ? TimeSpan.FromSeconds(length) : null,
            Status = pending.Status,
        };

    /// <summary>Runs a channel operation whose failure changes nothing (the channel is already gone; its event follows).</summary>
    private async Task QuietlyAsync(Task operation)
    {
        try
        {
            await operation.ConfigureAwait(false);
        }
        catch (AriException exception)
        {
            logger.LogDebug("ARI: {Reason}", exception.Message);
        }
    }
}
