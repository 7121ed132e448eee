using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Phone.Persistence;
using SupportPlatform.Sdk.Telephony;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Phone.Routing;

/// <summary>Who a call is from, by the number called and caller ID.</summary>
internal sealed record CallerMatch(string? AccountId, string? ContactId);

/// <summary>
/// Matches callers and decides routes: in the account's support hours ring the on-duty staff (simultaneous or
/// sequential, with a timeout); after hours or unanswered, greeting and voicemail; after hours on a contract with
/// on-call, the configured on-call number first.
/// </summary>
internal sealed class CallRouter(IAccountPhoneDirectory directory, IClusterClient client, CallStore store, PhoneOptions options, TimeProvider clock)
{
    /// <summary>
    /// The dedicated number called decides the account; else caller ID, when it belongs to exactly one account.
    /// Anything else (unknown or ambiguous) is triage.
    /// </summary>
    public async Task<CallerMatch> MatchAsync(string from, string to, CancellationToken cancellationToken)
    {
        var called = (await directory.FindAsync(to, cancellationToken)).FirstOrDefault(o => o.IsSupportNumber);
        var callers = string.IsNullOrEmpty(from) ? [] : (await directory.FindAsync(from, cancellationToken)).Where(o => !o.IsSupportNumber).ToList();
        if (called is not null)
        {
            return new CallerMatch(called.AccountId, callers.FirstOrDefault(c => c.AccountId == called.AccountId)?.ContactId);
        }

        var accounts = callers.Select(c => c.AccountId).Distinct().ToList();
        return accounts.Count == 1 ? new CallerMatch(accounts[0], callers[0].ContactId) : new CallerMatch(null, null);
    }

    public async Task<CallRoute> RouteAsync(IncomingCall call, CancellationToken cancellationToken)
    {
        var match = await MatchAsync(call.From, call.To, cancellationToken);
        var account = match.AccountId is null ? null : await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(match.AccountId)).Get();
        var calendar = account?.Contract.Calendar ?? BusinessCalendar.Weekdays(options.TimeZone, new TimeOnly(9, 0), new TimeOnly(17, 0));
        var now = clock.GetUtcNow();
        CallRoute Voicemail(string reason) =>
            new(CallRouteAction.Voicemail, [], options.Ring, options.RingTimeout, options.Greeting, options.MaxVoicemail, options.Transcribe, reason)
            {
                AccountId = match.AccountId,
                ContactId = match.ContactId,
            };
        CallRoute Dial(IReadOnlyList<string> numbers, RingStrategy strategy, string reason) =>
            new(CallRouteAction.Dial, numbers, strategy, options.RingTimeout, options.Greeting, options.MaxVoicemail, options.Transcribe, reason)
            {
                AccountId = match.AccountId,
                ContactId = match.ContactId,
            };

        if (!calendar.IsOpen(now))
        {
            return account?.Contract.Phone.AfterHoursOnCall == true && options.OnCallNumber is { } onCall && call.Attempt == 0
                ? Dial([onCall], RingStrategy.Simultaneous, "after hours: on-call engineer (critical contract)")
                : Voicemail(call.Attempt == 0 ? "after hours" : "after hours: on-call did not answer");
        }

        var onDuty = (await store.AgentsAsync()).Where(a => a.OnDuty).Select(a => a.Number).Distinct().ToList();
        if (onDuty.Count == 0)
        {
            return Voicemail("in business hours, but nobody is on duty");
        }

        if (options.Ring == RingStrategy.Simultaneous)
        {
            return call.Attempt == 0 ? Dial(onDuty, RingStrategy.Simultaneous, $"in business hours: {onDuty.Count} on duty, ringing all") : Voicemail("nobody answered");
        }

        return call.Attempt < onDuty.Count
            ? Dial([onDuty[call.Attempt]], RingStrategy.Sequential, $"in business hours: ringing {call.Attempt + 1} of {onDuty.Count} on duty")
            : Voicemail("nobody answered");
    }
}
