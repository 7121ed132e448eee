using System.Text.RegularExpressions;
using SupportPlatform.Core;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Accounts.Contracts;

/// <summary>What counts against the monthly phone allowance. JSON: <c>"phone-only"</c>, <c>"phone-and-remote"</c>.</summary>
public enum CountedSupport
{
    /// <summary>Only phone calls (answered calls and manually logged calls).</summary>
    PhoneOnly = 0,

    /// <summary>Phone calls and remote-control sessions.</summary>
    PhoneAndRemote = 1,
}

/// <summary>What a piece of recorded support time was. JSON: <c>"phone"</c>, <c>"remote-session"</c>.</summary>
public enum UsageKind
{
    /// <summary>A phone call.</summary>
    Phone = 0,

    /// <summary>A remote-control session.</summary>
    RemoteSession = 1,
}

/// <summary>An amount of money: exact decimal and an ISO 4217 currency code ("USD").</summary>
[GenerateSerializer, Immutable, Alias("sp.accounts.money")]
public sealed record Money([property: Id(0)] decimal Amount, [property: Id(1)] string Currency);

/// <summary>A number a client calls from, and who it belongs to.</summary>
/// <param name="Number">E.164, e.g. "+442079460000".</param>
/// <param name="ContactId">The client user (or contact id) the number belongs to; null for a shared line of the account.</param>
[GenerateSerializer, Immutable, Alias("sp.accounts.known-caller")]
public sealed record KnownCaller([property: Id(0)] string Number, [property: Id(1)] string? ContactId);

/// <summary>How soon a voicemail of one priority must be answered (the first-response target of its ticket).</summary>
[GenerateSerializer, Immutable, Alias("sp.accounts.voicemail-target")]
public sealed record VoicemailTarget([property: Id(0)] Priority Priority, [property: Id(1)] int Minutes);

/// <summary>
/// The phone part of a contract: the monthly allowance of hours, how calls are rounded and what counts, the overage
/// rate, the account's numbers and voicemail promises. Billing periods are calendar months in the account's time zone.
/// </summary>
[GenerateSerializer, Immutable, Alias("sp.accounts.phone-terms")]
public sealed partial record PhoneTerms
{
    /// <summary>Support time included per billing period (default 10 h).</summary>
    [Id(0)] public TimeSpan MonthlyAllowance { get; init; } = TimeSpan.FromHours(10);

    /// <summary>Every counted call is at least this many minutes (default 6).</summary>
    [Id(1)] public int MinimumMinutes { get; init; } = 6;

    /// <summary>Calls are rounded up to a multiple of this many minutes (default 6, a tenth of an hour; 15 is common too).</summary>
    [Id(2)] public int IncrementMinutes { get; init; } = 6;

    /// <summary>What counts against the allowance (default phone only).</summary>
    [Id(3)] public CountedSupport Counts { get; init; } = CountedSupport.PhoneOnly;

    /// <summary>Price of one hour beyond the allowance (default 85.00 USD).</summary>
    [Id(4)] public Money OverageRate { get; init; } = new(85.00m, "USD");

    /// <summary>Dedicated support numbers of this account (E.164): a call to one of them belongs to the account.</summary>
    [Id(5)] public IReadOnlyList<string> SupportNumbers { get; init; } = [];

    /// <summary>Numbers the account's people call from; caller ID matches them to the account and contact.</summary>
    [Id(6)] public IReadOnlyList<KnownCaller> Callers { get; init; } = [];

    /// <summary>First-response target of a voicemail ticket per priority (default critical 60, high 120, normal 240, low 480 minutes).</summary>
    [Id(7)] public IReadOnlyList<VoicemailTarget> VoicemailTargets { get; init; } =
        [new(Priority.Critical, 60), new(Priority.High, 120), new(Priority.Normal, 240), new(Priority.Low, 480)];

    /// <summary>Priority of the ticket a voicemail opens (default normal; a critical contract says critical).</summary>
    [Id(8)] public Priority VoicemailPriority { get; init; } = Priority.Normal;

    /// <summary>After hours, ring the on-call number (configured as <c>SupportPlatform:Phone:OnCallNumber</c>) instead of voicemail.</summary>
    [Id(9)] public bool AfterHoursOnCall { get; init; }

    /// <summary>The reference terms: 10 h a month, 6-minute minimum and increment, phone only, 85 USD/h.</summary>
    public static PhoneTerms Reference { get; } = new();

    /// <summary>The minutes a call of <paramref name="duration"/> counts: rounded up to the increment, at least the minimum; 0 for none.</summary>
    public int RoundedMinutes(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return 0;
        }

        var increment = Math.Max(1, IncrementMinutes);
        var steps = (long)Math.Ceiling(duration.TotalSeconds / (increment * 60.0));
        return (int)Math.Max(MinimumMinutes, steps * increment);
    }

    /// <summary>Every invalid value, as sentences.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MonthlyAllowance < TimeSpan.Zero || MonthlyAllowance > TimeSpan.FromHours(744))
        {
            problems.Add("The monthly allowance must be between 0 and 744 hours (e.g. \"10:00:00\").");
        }

        if (MinimumMinutes is < 0 or > 240)
        {
            problems.Add("The per-call minimum must be 0 to 240 minutes.");
        }

        if (IncrementMinutes is < 1 or > 60)
        {
            problems.Add("The rounding increment must be 1 to 60 minutes (e.g. 6 or 15).");
        }

        if (OverageRate is null || OverageRate.Amount < 0 || OverageRate.Currency is null || !CurrencyCode().IsMatch(OverageRate.Currency))
        {
            problems.Add("The overage rate needs an amount of 0 or more and a three-letter ISO currency code such as \"USD\".");
        }

        foreach (var number in (SupportNumbers ?? []).Concat((Callers ?? []).Select(c => c?.Number)))
        {
            if (number is null || !E164().IsMatch(number))
            {
                problems.Add($"'{number}' is not a phone number in E.164 form; write it like \"+442079460000\".");
            }
        }

        if ((SupportNumbers ?? []).Distinct().Count() != (SupportNumbers ?? []).Count || (Callers ?? []).Select(c => c?.Number).Distinct().Count() != (Callers ?? []).Count)
        {
            problems.Add("A phone number is listed twice.");
        }

        var targets = VoicemailTargets ?? [];
        if (targets.Any(t => t is null || t.Minutes is < 1 or > 10_080) || targets.Select(t => t?.Priority).Distinct().Count() != targets.Count)
        {
            problems.Add("Voicemail targets need one entry per priority at most, each 1 to 10080 minutes.");
        }

        return problems;
    }

    /// <summary>The SLA policy of a voicemail ticket: <paramref name="policy"/> with the voicemail first-response targets.</summary>
    public SlaPolicy VoicemailPolicy(SlaPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var targets = policy.Targets.Select(t =>
            (VoicemailTargets ?? []).FirstOrDefault(v => v.Priority == t.Priority) is { } voicemail
                ? t with { FirstResponseMinutes = voicemail.Minutes }
                : t);
        return policy with { Name = policy.Name + " (voicemail)", Targets = [.. targets] };
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{5,14}$")]
    private static partial Regex E164();

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();
}

/// <summary>Support time to count against an account's allowance.</summary>
[GenerateSerializer, Immutable, Alias("sp.accounts.record-usage")]
public sealed record RecordUsage
{
    /// <summary>Idempotency key: recording the same id again changes nothing (e.g. "call:twilio:CA123").</summary>
    [Id(0)] public required string UsageId { get; init; }

    [Id(1)] public required UsageKind Kind { get; init; }

    /// <summary>When the time started (for a call: when it was answered). It decides the billing period.</summary>
    [Id(2)] public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The actual duration, before rounding.</summary>
    [Id(3)] public required TimeSpan Duration { get; init; }

    /// <summary>The ticket the time belongs to, if any.</summary>
    [Id(4)] public long? TicketId { get; init; }

    /// <summary>A line for the invoice ("Call from +44 20 7946 0000 with Alice").</summary>
    [Id(5)] public string Description { get; init; } = "";
}

/// <summary>What recording usage did.</summary>
/// <param name="Duplicate">The usage id was recorded before; nothing changed.</param>
/// <param name="CountedMinutes">Minutes it counts (rounded; 0 when its kind does not count).</param>
/// <param name="OverageMinutes">Of those, minutes beyond the allowance (billable).</param>
/// <param name="Balance">The period's balance after it.</param>
[GenerateSerializer, Immutable, Alias("sp.accounts.usage-result")]
public sealed record UsageResult(
    [property: Id(0)] bool Duplicate,
    [property: Id(1)] int CountedMinutes,
    [property: Id(2)] int OverageMinutes,
    [property: Id(3)] AllowanceBalance Balance);

/// <summary>One billing period of an account's phone allowance.</summary>
[GenerateSerializer, Immutable, Alias("sp.accounts.allowance-balance")]
public sealed record AllowanceBalance
{
    [Id(0)] public required string AccountId { get; init; }

    /// <summary>The period's month in the account's time zone, "2026-11".</summary>
    [Id(1)] public required string Period { get; init; }

    [Id(2)] public required DateTimeOffset StartsAt { get; init; }
    [Id(3)] public required DateTimeOffset EndsAt { get; init; }
    [Id(4)] public required string TimeZone { get; init; }
    [Id(5)] public required int AllowanceMinutes { get; init; }
    [Id(6)] public required int UsedMinutes { get; init; }

    /// <summary>Allowance left (0 once exceeded).</summary>
    [Id(7)] public required int RemainingMinutes { get; init; }

    /// <summary>Minutes beyond the allowance: billable.</summary>
    [Id(8)] public required int OverageMinutes { get; init; }

    /// <summary>The billable amount of the overage at the contract's rate.</summary>
    [Id(9)] public required Money OverageAmount { get; init; }

    /// <summary>Used share of the allowance, 0..n (0.8 = 80%); 0 when the contract has no allowance (all time is overage).</summary>
    [Id(10)] public required double UsedShare { get; init; }

    /// <summary>True once the period has ended: its figures stay as they are, for reports and invoices.</summary>
    [Id(11)] public required bool Closed { get; init; }
}

/// <summary>
/// A billable line for the billing flow: time beyond the allowance, at the contract's rate. Read with
/// <see cref="IBillableLines"/>; <see cref="Status"/> stays "unbilled" until billing takes it.
/// </summary>
public sealed record BillableLine(
    string Id,
    string AccountId,
    string Period,
    string Source,
    string UsageId,
    long? TicketId,
    int Minutes,
    Money Rate,
    Money Amount,
    string Description,
    DateTimeOffset CreatedAt,
    string Status);

/// <summary>Reads billable lines (phone overage so far). Registered by the accounts module.</summary>
public interface IBillableLines
{
    /// <summary>Lines of <paramref name="accountId"/> (all accounts when null), oldest first; only unbilled ones when asked.</summary>
    Task<IReadOnlyList<BillableLine>> ListAsync(string? accountId, bool unbilledOnly, CancellationToken cancellationToken);
}

/// <summary>A usage threshold of the allowance reached for the first time in a period.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="AccountName">Its name.</param>
/// <param name="Percent">80 or 100.</param>
/// <param name="Balance">The balance that reached it.</param>
public sealed record AllowanceThresholdReached(string AccountId, string AccountName, int Percent, AllowanceBalance Balance);

/// <summary>
/// Told when an account's allowance reaches 80% or 100% in a period: exactly once per threshold and period, inside the
/// transaction that records the usage that reached it (write notifications through it: they exist exactly when the
/// usage does), and again after the commit for what cannot be rolled back (live queue). Registered by the phone module.
/// </summary>
public interface IAllowanceObserver
{
    /// <summary>Inside the recording transaction; throwing rolls the usage back.</summary>
    Task OnThresholdReachedAsync(AllowanceThresholdReached reached, System.Data.Common.DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>After the commit; an exception is logged and changes nothing.</summary>
    Task OnThresholdCommittedAsync(AllowanceThresholdReached reached, CancellationToken cancellationToken);
}

/// <summary>Who a phone number belongs to, from the accounts' phone terms.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="ContactId">The contact, for a known caller's number with one.</param>
/// <param name="IsSupportNumber">True for a dedicated support number of the account (the number called).</param>
public sealed record PhoneNumberOwner(string AccountId, string? ContactId, bool IsSupportNumber);

/// <summary>Finds accounts by phone number (caller ID or the dedicated number called). Registered by the accounts module.</summary>
public interface IAccountPhoneDirectory
{
    /// <summary>Every owner of <paramref name="number"/> (E.164); empty when unknown.</summary>
    Task<IReadOnlyList<PhoneNumberOwner>> FindAsync(string number, CancellationToken cancellationToken);
}

/// <summary>Calendar-month billing periods in an account's time zone.</summary>
public static class BillingPeriods
{
    /// <summary>
    /// The period holding <paramref name="instant"/>: from local midnight of the first of its month to local midnight
    /// of the next first, in <paramref name="timeZoneId"/>. A midnight that DST skips starts the period at the first
    /// valid local time after it; a repeated one at its first occurrence.
    /// </summary>
    public static (string Label, DateTimeOffset Start, DateTimeOffset End) For(string timeZoneId, DateTimeOffset instant)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        var first = new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified);
        return (first.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), Instant(zone, first), Instant(zone, first.AddMonths(1)));
    }

    private static DateTimeOffset Instant(TimeZoneInfo zone, DateTime local)
    {
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }
}
