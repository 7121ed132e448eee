namespace SupportPlatform.Reports.Domain;

/// <summary>Median and 90th percentile of durations, in business minutes (null when there is nothing to measure).</summary>
/// <param name="Count">How many durations.</param>
/// <param name="MedianMinutes">Median: the middle value, or the mean of the two middle values for an even count.</param>
/// <param name="P90Minutes">90th percentile by nearest rank: the value at rank ceil(0.9 n) in ascending order.</param>
internal sealed record DurationStats(int Count, double? MedianMinutes, double? P90Minutes)
{
    public static DurationStats Of(IReadOnlyCollection<TimeSpan> durations)
    {
        if (durations.Count == 0)
        {
            return new DurationStats(0, null, null);
        }

        var sorted = durations.Select(d => d.TotalMinutes).Order().ToArray();
        var n = sorted.Length;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        var p90 = sorted[(int)Math.Ceiling(0.9 * n) - 1];
        return new DurationStats(n, Math.Round(median, 4), Math.Round(p90, 4));
    }
}

internal sealed record ChannelActivity(string Channel, int Opened, int Resolved);

/// <summary>
/// Inbound mail of the account in the period that became a ticket or a comment (<c>sp_inbound_mail</c>, done), and how
/// many of those got a public staff reply on their ticket after they arrived (as of the report's generation).
/// </summary>
internal sealed record EmailActivity(int Received, int NewTickets, int Replies, int Answered, double? AnsweredPercent);

internal sealed record PriorityCompliance(string Priority, int Tickets, int Breached, double? CompliancePercent, int FirstResponseTargetMinutes, int ResolutionTargetMinutes, DurationStats FirstResponse, DurationStats Resolution);

internal sealed record BreachLine(long TicketId, string Subject, string Priority, string Clock, DateTimeOffset DueAt, DateTimeOffset RecordedAt);

internal sealed record UptimeLine(string SystemId, string Name, double? UptimePercent, double TargetPercent, bool MeetsTarget, double DownMinutes, double MaintenanceMinutes, double MeasuredMinutes);

internal sealed record PhoneHours(string Period, int AllowanceMinutes, int UsedInPeriodMinutes, int UsedInMonthMinutes, int OverageMinutes, double? UsedPercent, int CallsTaken, int Voicemails);

internal sealed record AdditionalWork(decimal Hours, decimal Amount, decimal ApprovedAmount, int EstimatesApproved, string Currency);

/// <summary>One insight: the rule that produced it (listed and explained in the report), the finding, and its numbers.</summary>
internal sealed record Insight(string Rule, string Text, string Recommendation, IReadOnlyList<InsightNumber> Numbers);

/// <summary>A number an insight cites.</summary>
internal sealed record InsightNumber(string Name, string Value);

/// <summary>A rule as listed in the report: its code, when it fires, and what it recommends.</summary>
internal sealed record InsightRule(string Code, string Name, string Explanation);

/// <summary>A week of a monthly report, cut at the month's boundaries: its tickets, breaches and mail (as <see cref="EmailActivity"/>).</summary>
internal sealed record WeekSlice(string Week, string Dates, int Opened, int Resolved, int Breaches, EmailActivity Email);

internal sealed record TrendMonth(string Month, int Opened, int Resolved, double? CompliancePercent, double? MedianFirstResponseMinutes, int PhoneUsedMinutes, int PhoneAllowanceMinutes, double? UptimePercent, EmailActivity Email);

internal sealed record NextStep(string Id, string Text, string Status, string? AgreedIn, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? DoneAt);

internal sealed record DiscussionNote(string Id, string Kind, string Period, string Body, string Author, DateTimeOffset CreatedAt);

/// <summary>Everything a report shows. Computed from the read model; the same object feeds the templates and the JSON API.</summary>
internal sealed record AccountReport(
    string AccountId,
    string AccountName,
    string TimeZone,
    string Kind,
    string Period,
    string Title,
    string Dates,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset GeneratedAt,
    int Opened,
    int Resolved,
    IReadOnlyList<ChannelActivity> Channels,
    EmailActivity Email,
    DurationStats FirstResponse,
    DurationStats Resolution,
    IReadOnlyList<PriorityCompliance> Compliance,
    double? CompliancePercent,
    IReadOnlyList<BreachLine> Breaches,
    IReadOnlyList<UptimeLine> Uptime,
    PhoneHours Phone,
    AdditionalWork AdditionalWork,
    IReadOnlyList<Insight> Insights,
    IReadOnlyList<InsightRule> Rules,
    IReadOnlyList<WeekSlice> Weeks,
    IReadOnlyList<TrendMonth> Trends,
    IReadOnlyList<NextStep> NextSteps,
    IReadOnlyList<DiscussionNote> PreviousNotes,
    IReadOnlyList<DiscussionNote> Notes);

internal sealed record AgentLine(string Agent, int Tickets, int Breached, double? CompliancePercent, DurationStats FirstResponse);

internal sealed record BacklogLine(string Priority, int Open, int PendingClient, int OlderThanWeek);

internal sealed record AccountHours(string AccountId, string AccountName, int PhoneMinutes, int AllowanceMinutes, decimal AdditionalHours, int Tickets, int Breaches);

/// <summary>The staff's internal report across all accounts.</summary>
internal sealed record StaffReport(
    string Kind,
    string Period,
    string Title,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset GeneratedAt,
    IReadOnlyList<AgentLine> Agents,
    IReadOnlyList<AgentLine> Groups,
    IReadOnlyList<BacklogLine> Backlog,
    IReadOnlyList<BreachLine> Breaches,
    IReadOnlyList<AccountHours> Accounts);
