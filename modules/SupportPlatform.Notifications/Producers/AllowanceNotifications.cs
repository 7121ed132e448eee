using System.Data.Common;
using System.Globalization;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Notifications.Contracts;

namespace SupportPlatform.Notifications.Producers;

/// <summary>Tells subscribed staff when an account reaches 80% or 100% of its hour allowance (in the usage's transaction, once per period and share).</summary>
internal sealed class AllowanceNotifications(INotifier notifier) : IAllowanceObserver
{
    public async Task OnThresholdReachedAsync(AllowanceThresholdReached reached, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var balance = reached.Balance;
        await notifier.NotifyAsync(
            new StaffNotification(
                string.Create(CultureInfo.InvariantCulture, $"allowance/{reached.AccountId}/{balance.Period}/{reached.Percent}"),
                NotificationEventType.HourThreshold,
                string.Create(CultureInfo.InvariantCulture, $"{reached.AccountName}: {reached.Percent}% of the hour allowance used ({balance.Period})"),
                string.Create(CultureInfo.InvariantCulture, $"{reached.AccountName} has used {balance.UsedMinutes} of {balance.AllowanceMinutes} minutes for {balance.Period}; {balance.RemainingMinutes} remain."))
            {
                IncludeSubscribers = true,
            },
            transaction,
            cancellationToken);
    }

    public Task OnThresholdCommittedAsync(AllowanceThresholdReached reached, CancellationToken cancellationToken)
    {
        notifier.Wake();
        return Task.CompletedTask;
    }
}
