namespace SupportPlatform.Sdk.Telephony;

/// <summary>
/// What a telephony adapter (Twilio, Asterisk ARI...) asks the platform and tells it. Implemented by the host's phone
/// module; a plugin takes it as a constructor parameter.
/// </summary>
/// <remarks>
/// <para><b>Routing.</b> Ask <see cref="RouteCallAsync"/> when a call comes in (and again when a ring attempt ends
/// unanswered, with the next attempt number): the answer says whom to ring, how, for how long, or to play the
/// greeting and record a voicemail.</para>
/// <para><b>Events.</b> Report what happens to a call with <see cref="ReportAsync"/>. It is idempotent by
/// (<see cref="CallEvent.Provider"/>, <see cref="CallEvent.CallId"/>, <see cref="CallEvent.EventId"/>) and facts merge
/// in any order: a repeated or late callback never counts a call twice. When it returns, the event is durably stored:
/// only then answer the provider 2xx.</para>
/// </remarks>
[HostService]
public interface ITelephonyService
{
    /// <summary>Decides how to route an incoming call.</summary>
    /// <param name="call">The call.</param>
    /// <param name="cancellationToken">Cancels the decision.</param>
    /// <returns>The route.</returns>
    Task<CallRoute> RouteCallAsync(IncomingCall call, CancellationToken cancellationToken);

    /// <summary>Records one event of a call, durably and idempotently.</summary>
    /// <param name="callEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the report; the event then counts as not stored.</param>
    /// <returns>What the platform made of it.</returns>
    Task<CallEventResult> ReportAsync(CallEvent callEvent, CancellationToken cancellationToken);
}

/// <summary>A call arriving at one of the support numbers.</summary>
/// <param name="Provider">The adapter's provider name, stable (<c>twilio</c>, <c>asterisk</c>).</param>
/// <param name="CallId">The provider's id of the call (Twilio CallSid, ARI channel id).</param>
/// <param name="From">The caller's number (E.164 when the provider gives it), or empty when withheld.</param>
/// <param name="To">The support number called.</param>
/// <param name="Attempt">0 for the call's arrival; n for the n-th ring attempt after an unanswered one (sequential ringing).</param>
public sealed record IncomingCall(string Provider, string CallId, string From, string To, int Attempt = 0)
{
    /// <summary>The caller's name from caller ID, when the provider gives one.</summary>
    public string? CallerName { get; init; }
}

/// <summary>What to do with a call.</summary>
public enum CallRouteAction
{
    /// <summary>Ring <see cref="CallRoute.Numbers"/>: all at once (<see cref="RingStrategy.Simultaneous"/>) or the one for this attempt.</summary>
    Dial = 0,

    /// <summary>Play <see cref="CallRoute.Greeting"/> and record a voicemail.</summary>
    Voicemail = 1,
}

/// <summary>How on-duty staff are rung.</summary>
public enum RingStrategy
{
    /// <summary>Every number at once; the first to answer takes the call.</summary>
    Simultaneous = 0,

    /// <summary>One number per attempt, in order; each unanswered attempt asks for the next.</summary>
    Sequential = 1,
}

/// <summary>The platform's routing decision.</summary>
/// <param name="Action">Dial or voicemail.</param>
/// <param name="Numbers">The numbers to ring now (one for a sequential attempt, all for simultaneous); empty for voicemail.</param>
/// <param name="Strategy">How the numbers are rung.</param>
/// <param name="RingTimeout">How long to ring before the attempt counts as unanswered.</param>
/// <param name="Greeting">What to say before recording (also before dialling, when not empty and the action is voicemail).</param>
/// <param name="MaxVoicemail">The longest voicemail to record.</param>
/// <param name="Transcribe">Whether to ask the provider for a transcription.</param>
/// <param name="Reason">Why, for logs ("in business hours: 2 on duty", "after hours").</param>
public sealed record CallRoute(
    CallRouteAction Action,
    IReadOnlyList<string> Numbers,
    RingStrategy Strategy,
    TimeSpan RingTimeout,
    string Greeting,
    TimeSpan MaxVoicemail,
    bool Transcribe,
    string Reason)
{
    /// <summary>The matched client account, or null for an unknown caller (triage).</summary>
    public string? AccountId { get; init; }

    /// <summary>The matched contact, when caller ID names one.</summary>
    public string? ContactId { get; init; }
}

/// <summary>What happened to a call. Each kind carries the fields listed on it; any event may carry From/To.</summary>
public enum CallEventKind
{
    /// <summary>The call arrived (From, To).</summary>
    Started = 0,

    /// <summary>Staff answered (AgentNumber).</summary>
    Answered = 1,

    /// <summary>The conversation with staff ended (AgentNumber, TalkDuration): the call counts against the allowance.</summary>
    Connected = 2,

    /// <summary>Ringing staff ended with no answer (busy, no-answer, failed).</summary>
    NotAnswered = 3,

    /// <summary>A voicemail was recorded (RecordingId and/or RecordingUrl, RecordingDuration).</summary>
    Voicemail = 4,

    /// <summary>A transcription of the voicemail arrived (Transcription).</summary>
    Transcription = 5,

    /// <summary>The call ended (Status: the provider's final status).</summary>
    Ended = 6,
}

/// <summary>One event of a call.</summary>
/// <param name="Provider">The adapter's provider name (<c>twilio</c>).</param>
/// <param name="CallId">The provider's call id.</param>
/// <param name="Kind">What happened.</param>
/// <param name="EventId">
/// The event's identity within the call, the same on every retry of the same callback (<c>dial-action</c>,
/// <c>recording:RE123</c>, <c>status:completed</c>): a repeated id changes nothing.
/// </param>
/// <param name="At">When it happened (the provider's time when it gives one, else when the adapter received it).</param>
public sealed record CallEvent(string Provider, string CallId, CallEventKind Kind, string EventId, DateTimeOffset At)
{
    /// <summary>The caller's number.</summary>
    public string? From { get; init; }

    /// <summary>The number called.</summary>
    public string? To { get; init; }

    /// <summary>The staff number that answered.</summary>
    public string? AgentNumber { get; init; }

    /// <summary>How long staff talked with the caller.</summary>
    public TimeSpan? TalkDuration { get; init; }

    /// <summary>The provider's id of the recording.</summary>
    public string? RecordingId { get; init; }

    /// <summary>Where the recording can be fetched.</summary>
    public string? RecordingUrl { get; init; }

    /// <summary>How long the recording is.</summary>
    public TimeSpan? RecordingDuration { get; init; }

    /// <summary>The voicemail's text.</summary>
    public string? Transcription { get; init; }

    /// <summary>The provider's status word (<c>completed</c>, <c>no-answer</c>, <c>busy</c>...).</summary>
    public string? Status { get; init; }
}

/// <summary>What the platform made of a call event.</summary>
/// <param name="Duplicate">The event had been recorded before; nothing changed.</param>
/// <param name="TicketId">The call's ticket, once it has one.</param>
/// <param name="AccountId">The matched account, or null (triage).</param>
public sealed record CallEventResult(bool Duplicate, long? TicketId, string? AccountId);
