using System.Data.Common;
using System.Globalization;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.Mail;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.LiveQueue.Contracts;

namespace SupportPlatform.Phone.Notifications;

/// <summary>
/// Tells the account's managers (its client users marked manager) when the phone allowance reaches 80% and 100%, and
/// the live queue: the mail is written in the transaction that counts the call, so it is sent exactly when the usage is
/// stored, and once per period. Staff are told by the notification service (event type <c>hour-threshold</c>), the one
/// path for staff notifications.
/// </summary>
internal sealed class AllowanceNotifier(
    IEnumerable<IOutboundMail> mail,
    IEnumerable<IUserDirectory> users,
    IEnumerable<ILiveQueuePublisher> live) : IAllowanceObserver
{
    public async Task OnThresholdReachedAsync(AllowanceThresholdReached reached, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (mail.FirstOrDefault() is not { } outbox)
        {
            return;
        }

        var managers = users.FirstOrDefault() is { } directory
            ? (await directory.ListAccountUsersAsync(reached.AccountId, cancellationToken)).Where(u => u.IsManager && u.Active).Select(u => u.Email)
            : [];
        var balance = reached.Balance;
        var subject = $"{reached.AccountName}: {reached.Percent}% of the phone allowance used ({balance.Period})";
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            {reached.AccountName} has used {Hours(balance.UsedMinutes)} of its {Hours(balance.AllowanceMinutes)} phone support allowance for {balance.Period} ({reached.Percent}%).
            Remaining: {Hours(balance.RemainingMinutes)}.
            """);
        if (balance.OverageMinutes > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"\nTime beyond the allowance so far: {Hours(balance.OverageMinutes)}, billable at the contract's rate ({balance.OverageAmount.Amount:0.00} {balance.OverageAmount.Currency}).");
        }

        text += string.Create(CultureInfo.InvariantCulture, $"\nThe allowance resets on {balance.EndsAt:yyyy-MM-dd HH:mm} UTC (midnight, {balance.TimeZone}).\n");
        foreach (var to in managers.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            await outbox.EnqueueAsync(new OutboundMail(to, subject, text, null, "phone-allowance-" + reached.Percent.ToString(CultureInfo.InvariantCulture)), transaction, cancellationToken);
        }
    }

    public Task OnThresholdCommittedAsync(AllowanceThresholdReached reached, CancellationToken cancellationToken)
    {
        live.FirstOrDefault()?.Publish(
            LiveChangeKind.Call,
            null,
            string.Create(CultureInfo.InvariantCulture, $"{reached.AccountName} reached {reached.Percent}% of its phone allowance ({Hours(reached.Balance.UsedMinutes)} of {Hours(reached.Balance.AllowanceMinutes)})"));
        return Task.CompletedTask;
    }

    private static string Hours(int minutes) => string.Create(CultureInfo.InvariantCulture, $"{minutes / 60} h {minutes % 60:00} min");
}
