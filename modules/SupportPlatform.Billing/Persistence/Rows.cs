namespace SupportPlatform.Billing.Persistence;

#pragma warning disable CA1812 // Instantiated by Dapper.
internal sealed class EstimateRow
{
    public string Id { get; set; } = "";
    public string AccountId { get; set; } = "";
    public long? TicketId { get; set; }
    public string Title { get; set; } = "";
    public string ScopeReason { get; set; } = "";
    public string? ScopeRuleId { get; set; }
    public string Status { get; set; } = "";
    public long CurrentVersion { get; set; }
    public long? ApprovedVersion { get; set; }
    public string CreatedBy { get; set; } = "";
    public long CreatedAtMs { get; set; }
    public long UpdatedAtMs { get; set; }
}

internal sealed class VersionRow
{
    public long Version { get; set; }
    public string Body { get; set; } = "";
    public long? SentAtMs { get; set; }
}

internal sealed class ApprovalRow
{
    public long Version { get; set; }
    public string Decision { get; set; } = "";
    public string UserId { get; set; } = "";
    public string UserName { get; set; } = "";
    public string Via { get; set; } = "";
    public string? Ip { get; set; }
    public string? UserAgent { get; set; }
    public string? Reason { get; set; }
    public long AtMs { get; set; }
}

internal sealed class TaskRow
{
    public string Id { get; set; } = "";
    public string EstimateId { get; set; } = "";
    public long Position { get; set; }
    public string Title { get; set; } = "";
    public long EstimatedCentihours { get; set; }
    public long RateMinor { get; set; }
    public string? AssigneeId { get; set; }
    public string? AssigneeName { get; set; }
    public long LoggedMinutes { get; set; }
}

internal sealed class EntryRow
{
    public string Id { get; set; } = "";
    public string TaskId { get; set; } = "";
    public string EstimateId { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string UserId { get; set; } = "";
    public string UserName { get; set; } = "";
    public long StartedAtMs { get; set; }
    public long? Minutes { get; set; }
    public string Note { get; set; } = "";
    public string? InvoiceId { get; set; }
}

internal sealed class InvoiceRow
{
    public string Id { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Number { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string? CreditsInvoiceId { get; set; }
    public string Body { get; set; } = "";
    public string? CreditedBy { get; set; }
}

internal sealed class ExportRow
{
    public string InvoiceId { get; set; } = "";
    public string PluginId { get; set; } = "";
    public string Status { get; set; } = "";
    public long Attempts { get; set; }
    public string? LastError { get; set; }
    public string? Reference { get; set; }
    public long NextAttemptAtMs { get; set; }
    public long UpdatedAtMs { get; set; }
}
#pragma warning restore CA1812
