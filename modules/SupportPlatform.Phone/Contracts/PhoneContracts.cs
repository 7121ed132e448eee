namespace SupportPlatform.Phone.Contracts;

/// <summary>Where a call stands. JSON: kebab-case.</summary>
public enum CallOutcome
{
    /// <summary>Arrived, not answered (yet).</summary>
    Ringing = 0,

    /// <summary>Staff answered and talked with the caller.</summary>
    Answered = 1,

    /// <summary>Nobody answered and no voicemail was left.</summary>
    Missed = 2,

    /// <summary>The caller left a voicemail.</summary>
    Voicemail = 3,
}

/// <summary>One call in the call log.</summary>
[GenerateSerializer, Immutable, Alias("sp.phone.call-view")]
public sealed record CallView
{
    /// <summary>"provider:call id", e.g. "twilio:CA123" or "manual:..." for a call logged by hand.</summary>
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Provider { get; init; }
    [Id(2)] public required string From { get; init; }
    [Id(3)] public required string To { get; init; }
    [Id(4)] public string? AccountId { get; init; }
    [Id(5)] public string? ContactId { get; init; }

    /// <summary>True while no account is matched: the call waits in triage for staff to name the account.</summary>
    [Id(6)] public bool Triage { get; init; }
    [Id(7)] public string? AgentId { get; init; }
    [Id(8)] public string? AgentName { get; init; }
    [Id(9)] public required DateTimeOffset StartedAt { get; init; }
    [Id(10)] public DateTimeOffset? AnsweredAt { get; init; }
    [Id(11)] public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Talk time with staff, in seconds.</summary>
    [Id(12)] public long? TalkSeconds { get; init; }
    [Id(13)] public required CallOutcome Outcome { get; init; }
    [Id(14)] public string? RecordingUrl { get; init; }
    [Id(15)] public string? Transcription { get; init; }
    [Id(16)] public long? TicketId { get; init; }

    /// <summary>Minutes counted against the allowance (rounded), once counted.</summary>
    [Id(17)] public int? CountedMinutes { get; init; }
    [Id(18)] public string? Notes { get; init; }
}

/// <summary>A call logged by hand by staff (made outside the integrations).</summary>
[GenerateSerializer, Immutable, Alias("sp.phone.manual-call")]
public sealed record ManualCall
{
    [Id(0)] public required string AccountId { get; init; }
    [Id(1)] public string? ContactId { get; init; }
    [Id(2)] public string Number { get; init; } = "";
    [Id(3)] public required DateTimeOffset StartedAt { get; init; }
    [Id(4)] public required TimeSpan Duration { get; init; }
    [Id(5)] public string? Notes { get; init; }
    [Id(6)] public long? TicketId { get; init; }
    [Id(7)] public required string AgentId { get; init; }
    [Id(8)] public required string AgentName { get; init; }
}

/// <summary>
/// One call (key: "c-" + provider + ":" + call id). Merges the call's events in any order, once each, and then does
/// what they call for once: counts an answered call, attaches it to a ticket, opens a voicemail ticket.
/// Invalid requests throw <see cref="PhoneRuleException"/>.
/// </summary>
[Alias("sp.phone.call-grain")]
public interface ICallGrain : IGrainWithStringKey
{
    /// <summary>Applies one provider event; a repeated event id changes nothing.</summary>
    [Alias("apply")]
    Task<CallFactResult> Apply(CallFact fact);

    /// <summary>Logs a call made outside the integrations; idempotent per grain key.</summary>
    [Alias("log-manual")]
    Task<CallView> LogManual(ManualCall call);

    /// <summary>Attaches the call to a ticket an agent picked (during or after the call).</summary>
    [Alias("attach")]
    Task<CallView> AttachToTicket(long ticketId, string agentId, string agentName);

    /// <summary>Names the account (and contact) of a triaged call; then it is counted and ticketed like any other.</summary>
    [Alias("assign-account")]
    Task<CallView> AssignAccount(string accountId, string? contactId);

    /// <summary>Finishes follow-up work a failure interrupted (housekeeping calls it); returns the call.</summary>
    [Alias("resume")]
    Task<CallView?> Resume();

    /// <summary>The call, or null when it is unknown.</summary>
    [Alias("get")]
    Task<CallView?> Get();
}

/// <summary>What an event says about a call (the SDK's call event kinds). JSON: kebab-case.</summary>
public enum CallFactKind
{
    /// <summary>The call arrived.</summary>
    Started = 0,

    /// <summary>Staff answered.</summary>
    Answered = 1,

    /// <summary>The conversation with staff ended, with its talk time.</summary>
    Connected = 2,

    /// <summary>Ringing staff ended unanswered.</summary>
    NotAnswered = 3,

    /// <summary>A voicemail was recorded.</summary>
    Voicemail = 4,

    /// <summary>The voicemail's transcription arrived.</summary>
    Transcription = 5,

    /// <summary>The call ended.</summary>
    Ended = 6,
}

/// <summary>One provider event of a call, as the call grain takes it.</summary>
[GenerateSerializer, Immutable, Alias("sp.phone.call-fact")]
public sealed record CallFact
{
    [Id(0)] public required string Provider { get; init; }
    [Id(1)] public required string CallId { get; init; }
    [Id(2)] public required CallFactKind Kind { get; init; }
    [Id(3)] public required string EventId { get; init; }
    [Id(4)] public required DateTimeOffset At { get; init; }
    [Id(5)] public string? From { get; init; }
    [Id(6)] public string? To { get; init; }
    [Id(7)] public string? AgentNumber { get; init; }
    [Id(8)] public TimeSpan? TalkDuration { get; init; }
    [Id(9)] public string? RecordingId { get; init; }
    [Id(10)] public string? RecordingUrl { get; init; }
    [Id(11)] public TimeSpan? RecordingDuration { get; init; }
    [Id(12)] public string? Transcription { get; init; }
    [Id(13)] public string? Status { get; init; }
}

/// <summary>What applying a call event did.</summary>
[GenerateSerializer, Immutable, Alias("sp.phone.call-fact-result")]
public sealed record CallFactResult([property: Id(0)] bool Duplicate, [property: Id(1)] long? TicketId, [property: Id(2)] string? AccountId);

/// <summary>Grain keys of calls.</summary>
public static class CallKeys
{
    /// <summary>The call's id in the log: "provider:call id".</summary>
    public static string Id(string provider, string callId) => provider + ":" + callId;

    /// <summary>The grain key ("c-" keeps Orleans from reading a hex-looking id as a number).</summary>
    public static string Grain(string id) => "c-" + id;

    /// <summary>Whether a provider name and call id are acceptable (printable, no spaces, at most 40 and 120 characters).</summary>
    public static bool IsValid(string? provider, string? callId) =>
        provider is { Length: > 0 and <= 40 } && provider.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && callId is { Length: > 0 and <= 120 } && callId.All(c => c > ' ' && c < 127);
}

/// <summary>An invalid phone request; the API answers it as a 422 (or 404 with code "not-found").</summary>
[GenerateSerializer, Alias("sp.phone.rule-exception")]
public sealed class PhoneRuleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PhoneRuleException(string code, string message) : base(message) => Code = code;

    /// <summary>Machine-readable code.</summary>
    [Id(0)] public string Code { get; }
}
