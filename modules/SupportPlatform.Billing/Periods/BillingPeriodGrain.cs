using System.Globalization;
using Microsoft.Extensions.Logging;
using SupportPlatform.Billing.Contracts;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Scheduling.Contracts;

namespace SupportPlatform.Billing.Periods;

/// <summary>
/// Keeps the end of an account's current billing period as a durable deadline of the scheduling module (id
/// <c>billing/{account}/period</c>, payload: the month, <c>yyyy-MM</c>). The deadline is due at local midnight after
/// the month's last day, in the account's time zone. When it fires, the month's unbilled time entries and phone
/// overage are invoiced through <see cref="InvoiceService.IssuePeriodAsync"/>, which records the period in the same
/// transaction (so a second delivery, or one after a crash before the re-schedule, issues nothing more), and the next
/// month is scheduled from the month just billed (not from "now"), so a host that was down catches up month by month.
/// </summary>
internal sealed partial class BillingPeriodGrain(
    BillingProfiles profiles,
    InvoiceService invoices,
    EstimateService estimates,
    IDeadlineScheduler scheduler,
    TimeProvider clock,
    ILogger<BillingPeriodGrain> logger) : Grain, IBillingPeriodGrain
{
    public const string Kind = "billing.period";

    private string AccountId => this.GetPrimaryKeyString()["bp-".Length..];

    private string DeadlineId => $"billing/{AccountId}/period";

    public static string Key(string accountId) => "bp-" + accountId;

    public async Task Reschedule()
    {
        var profile = await profiles.GetAsync(AccountId, CancellationToken.None);
        if (profile.BillingPeriod != BillingProfiles.Monthly)
        {
            await scheduler.CancelAsync(DeadlineId);
            return;
        }

        var zone = await ZoneAsync();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
        await ScheduleAsync(zone, new DateOnly(today.Year, today.Month, 1));
    }

    public async Task OnDeadline(DeadlineFired fired)
    {
        ArgumentNullException.ThrowIfNull(fired);
        if (!DateOnly.TryParseExact(fired.Payload + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month))
        {
            LogBadPayload(logger, fired.Payload, AccountId);
            return;
        }

        try
        {
            var (invoice, already) = await invoices.IssuePeriodAsync(AccountId, month, CancellationToken.None);
            LogPeriod(logger, fired.Payload, AccountId, already ? "already run" : invoice is null ? "nothing to bill" : "issued " + invoice.Document.Number);
        }
        catch (BillingException ex)
        {
            // Not retried: a refusal (an account removed, a currency mismatch) needs a person; staff invoice the period by hand.
            LogRefused(logger, ex, fired.Payload, AccountId, ex.Message);
        }

        if ((await profiles.GetAsync(AccountId, CancellationToken.None)).BillingPeriod == BillingProfiles.Monthly)
        {
            await ScheduleAsync(await ZoneAsync(), month.AddMonths(1));
        }
    }

    /// <summary>When the period of <paramref name="month"/> ends: local midnight at the start of the next month.</summary>
    internal static DateTimeOffset PeriodEnd(TimeZoneInfo zone, DateOnly month) => InvoiceService.LocalMidnight(zone, month.AddMonths(1));

    private async Task<TimeZoneInfo> ZoneAsync() => TimeZoneInfo.FindSystemTimeZoneById((await estimates.RequireAccountAsync(AccountId)).TimeZone);

    private Task ScheduleAsync(TimeZoneInfo zone, DateOnly month) => scheduler.ScheduleAsync(new DeadlineRequest(
        DeadlineId, PeriodEnd(zone, month), this.GetGrainId(), Kind, month.ToString("yyyy-MM", CultureInfo.InvariantCulture)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Billing period deadline with an unreadable period '{Period}' for {AccountId}; ignored")]
    private static partial void LogBadPayload(ILogger logger, string period, string accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Billing period {Period} of {AccountId}: {Outcome}")]
    private static partial void LogPeriod(ILogger logger, string period, string accountId, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Billing period {Period} of {AccountId} was not invoiced: {Reason}")]
    private static partial void LogRefused(ILogger logger, Exception ex, string period, string accountId, string reason);
}
