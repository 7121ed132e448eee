using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Phone.Persistence;
using SupportPlatform.Sdk.Telephony;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Phone.Routing;

/// <summary>Who a call is from, by the number called and caller ID.</summary>
internal sealed record CallerMatch(string? AccountId, string? ContactId);

/// <summary>
/// Matches callers and decides routes: in the account's support hours ring the on-duty staff (simultaneous or
/// sequential, with a timeout); after hours or unanswered, greeting and voicemail; after hours on a contract with
/// on-call, the engineer on call for <see cref="PhoneOptions.OnCallTeam"/> first (their phone agent number, else the
/// number in their notification preferences), or the static <see cref="PhoneOptions.OnCallNumber"/> while that team
/// has no schedule.
/// </summary>
internal sealed class CallRouter(IAccountPhoneDirectory directory, IClusterClient client, CallStore store, PhoneOptions options, TimeProvider clock, IEnumerable<IOnCallDirectory> onCallDirectories)
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
            if (account?.Contract.Phone.AfterHoursOnCall != true)
            {
                return Voicemail("after hours");
            }

            if (call.Attempt > 0)
            {
                return Voicemail("after hours: on-call did not answer");
            }

            var (numbers, reason) = await OnCallAsync(now, cancellationToken);
            return numbers.Count > 0 ? Dial(numbers, RingStrategy.Simultaneous, reason) : Voicemail(reason);
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

    /// <summary>Whom to ring after hours for a critical contract, and why (the reason is logged with the call).</summary>
    private async Task<(IReadOnlyList<string> Numbers, string Reason)> OnCallAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var team = options.OnCallTeam;
        var answers = onCallDirectories.FirstOrDefault() is { } onCall ? await onCall.WhoIsOnCallAsync(team, now, cancellationToken) : [];
        if (answers.Count == 0)
        {
            // No schedule for the team (or no notifications module): the static number, when one is configured.
            return options.OnCallNumber is { } number
                ? ([number], $"after hours: on-call number (no {team} schedule; critical contract)")
                : ([], $"after hours: no {team} on-call schedule and no SupportPlatform:Phone:OnCallNumber");
        }

        var users = answers.Where(a => a.UserId is not null).Select(a => a.UserId!).Distinct(StringComparer.Ordinal).ToList();
        if (users.Count == 0)
        {
            return ([], $"after hours: nobody is on call for {team} (a gap in the schedule)");
        }

        var agents = await store.AgentsAsync();
        var numbers = new List<string>();
        var missing = new List<string>();
        foreach (var user in users)
        {
            var number = agents.FirstOrDefault(a => a.UserId == user)?.Number is { Length: > 0 } agentNumber
                ? agentNumber
                : onCallDirectories.FirstOrDefault() is { } directory ? await directory.PhoneOfAsync(user, cancellationToken) : null;
            if (number is { Length: > 0 })
            {
                numbers.Add(number);
            }
            else
            {
                missing.Add(user);
            }
        }

        return numbers.Count > 0
            ? ([.. numbers.Distinct(StringComparer.Ordinal)], $"after hours: on-call engineer {string.Join(", ", users.Except(missing))} ({team} schedule; critical contract)")
            : ([], $"after hours: {string.Join(", ", missing)} on call for {team} has no phone number (phone agent or notification preferences)");
    }
}
