using SupportPlatform.Phone.Contracts;
using SupportPlatform.Phone.Routing;
using SupportPlatform.Sdk.Telephony;

namespace SupportPlatform.Phone.Telephony;

/// <summary>The SDK's telephony host service: routing decisions and call events for adapter plugins.</summary>
internal sealed class TelephonyService(CallRouter router, IClusterClient client) : ITelephonyService
{
    public Task<CallRoute> RouteCallAsync(IncomingCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return router.RouteAsync(call, cancellationToken);
    }

    public async Task<CallEventResult> ReportAsync(CallEvent callEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(callEvent);
        if (!CallKeys.IsValid(callEvent.Provider, callEvent.CallId) || string.IsNullOrWhiteSpace(callEvent.EventId) || callEvent.EventId.Length > 200)
        {
            throw new ArgumentException("A call event needs a provider (lowercase letters, digits, '-'), a call id (1-120 printable characters) and an event id (1-200).", nameof(callEvent));
        }

        var fact = new CallFact
        {
            Provider = callEvent.Provider,
            CallId = callEvent.CallId,
            Kind = (CallFactKind)(int)callEvent.Kind,
            EventId = callEvent.EventId,
            At = callEvent.At,
            From = callEvent.From,
            To = callEvent.To,
            AgentNumber = callEvent.AgentNumber,
            TalkDuration = callEvent.TalkDuration,
            RecordingId = callEvent.RecordingId,
            RecordingUrl = callEvent.RecordingUrl,
            RecordingDuration = callEvent.RecordingDuration,
            Transcription = callEvent.Transcription,
            Status = callEvent.Status,
        };
        var result = await client.GetGrain<ICallGrain>(CallKeys.Grain(CallKeys.Id(fact.Provider, fact.CallId))).Apply(fact);
        return new CallEventResult(result.Duplicate, result.TicketId, result.AccountId);
    }
}
