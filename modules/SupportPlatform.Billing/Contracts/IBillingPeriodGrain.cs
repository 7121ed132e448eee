using SupportPlatform.Scheduling.Contracts;

namespace SupportPlatform.Billing.Contracts;

/// <summary>
/// The billing-period invoicing of one account (key: <c>bp-{account id}</c>): a durable deadline at the end of each
/// period (in the account's time zone) that issues the period's invoice once.
/// </summary>
[Alias("sp.billing.period")]
public interface IBillingPeriodGrain : IGrainWithStringKey, IDeadlineTarget
{
    /// <summary>Re-reads the account's billing period and schedules the end of its current period, or cancels it.</summary>
    [Alias("reschedule")]
    Task Reschedule();
}
