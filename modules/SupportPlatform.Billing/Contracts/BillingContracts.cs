namespace SupportPlatform.Billing.Contracts;

/// <summary>Additional (out-of-scope) work of one account in one period, for the monthly report.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="From">Start of the period (inclusive).</param>
/// <param name="To">End of the period (exclusive).</param>
/// <param name="EstimatesSent">Estimate versions sent to the client in the period.</param>
/// <param name="EstimatesApproved">Estimate versions the client approved in the period.</param>
/// <param name="EstimatesDeclined">Estimate versions the client declined in the period.</param>
/// <param name="ApprovedAmount">Total of the versions approved in the period (tax included).</param>
/// <param name="HoursLogged">Hours logged in the period on the account's approved work.</param>
/// <param name="AmountInvoiced">Total of invoices issued in the period less credit notes issued in it (tax included).</param>
/// <param name="Currency">The currency of the amounts.</param>
public sealed record AdditionalWorkSummary(
    string AccountId,
    DateTimeOffset From,
    DateTimeOffset To,
    int EstimatesSent,
    int EstimatesApproved,
    int EstimatesDeclined,
    decimal ApprovedAmount,
    decimal HoursLogged,
    decimal AmountInvoiced,
    string Currency);

/// <summary>Summarises additional work per account and period. Registered by the billing module.</summary>
public interface IAdditionalWorkSummary
{
    /// <summary>The summary of <paramref name="accountId"/> between <paramref name="from"/> (inclusive) and <paramref name="to"/> (exclusive).</summary>
    Task<AdditionalWorkSummary> GetAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

/// <summary>Logged time reached 80% or 100% of an approved estimate (once per threshold and approved version).</summary>
/// <param name="EstimateId">The estimate.</param>
/// <param name="AccountId">Its account.</param>
/// <param name="TicketId">Its ticket, if any.</param>
/// <param name="Title">Its title.</param>
/// <param name="Percent">80 or 100.</param>
/// <param name="EstimatedHours">Hours of the approved version.</param>
/// <param name="LoggedHours">Hours logged so far.</param>
/// <param name="AssigneeIds">Staff assigned to its tasks (who should be warned).</param>
public sealed record BudgetThresholdReached(string EstimateId, string AccountId, long? TicketId, string Title, int Percent, decimal EstimatedHours, decimal LoggedHours, IReadOnlyList<string> AssigneeIds);

/// <summary>
/// Told when logged time reaches 80% and 100% of approved work, after the time entry that reached it is stored (the
/// warning is also kept with the estimate, so it shows in the progress view whether or not an observer exists). For
/// the notification service to register; an exception is logged and changes nothing.
/// </summary>
public interface IBudgetObserver
{
    /// <summary>Handles one threshold reached.</summary>
    Task OnBudgetThresholdAsync(BudgetThresholdReached reached, CancellationToken cancellationToken);
}
