using SupportPlatform.Sdk.Billing;

namespace SupportPlatform.Billing.Domain;

/// <summary>A rule of a contract's scope: what is included (<c>in</c>) or billed on top (<c>out</c>).</summary>
internal sealed record ScopeRule(string Id, string Kind, string Text);

/// <summary>The scope rules of an account's contract.</summary>
internal sealed record ContractScope(string AccountId, IReadOnlyList<ScopeRule> Rules, string? UpdatedBy, DateTimeOffset? UpdatedAt);

/// <summary>One line of an estimate: amount = hours × rate, rounded to cents.</summary>
internal sealed record EstimateLine(string Task, decimal Hours, decimal Rate, decimal Amount);

/// <summary>One version of an estimate, as written (never changed afterwards except its sending time).</summary>
internal sealed record EstimateVersion
{
    public required int Version { get; init; }
    public required IReadOnlyList<EstimateLine> Lines { get; init; }
    public required IReadOnlyList<string> Assumptions { get; init; }
    public required DateOnly ValidUntil { get; init; }
    public required string Currency { get; init; }
    public required string TaxName { get; init; }
    public required decimal TaxRate { get; init; }
    public required decimal Hours { get; init; }
    public required decimal Subtotal { get; init; }
    public required decimal Tax { get; init; }
    public required decimal Total { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SentAt { get; init; }
}

/// <summary>The client's decision on one version of an estimate.</summary>
internal sealed record Approval(int Version, string Decision, string UserId, string UserName, string Via, string? Ip, string? UserAgent, string? Reason, DateTimeOffset At);

/// <summary>A task of approved work.</summary>
internal sealed record WorkTask(string Id, string EstimateId, int Position, string Title, decimal EstimatedHours, decimal Rate, string? AssigneeId, string? AssigneeName, decimal LoggedHours);

/// <summary>Logged time.</summary>
internal sealed record TimeEntry(string Id, string TaskId, string EstimateId, string UserId, string UserName, DateTimeOffset StartedAt, int? Minutes, decimal? Hours, string Note, string? InvoiceId, bool Running);

/// <summary>Hours logged against the approved estimate, and warnings given.</summary>
internal sealed record Progress(decimal EstimatedHours, decimal LoggedHours, decimal Percent, IReadOnlyList<int> Warnings);

/// <summary>An estimate with everything about it.</summary>
internal sealed record Estimate
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public long? TicketId { get; init; }
    public required string Title { get; init; }
    public required string ScopeReason { get; init; }
    public string? ScopeRuleId { get; init; }
    public required string Status { get; init; }
    public required int CurrentVersion { get; init; }
    public int? ApprovedVersion { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required EstimateVersion Current { get; init; }
    public required IReadOnlyList<EstimateVersion> Versions { get; init; }
    public required IReadOnlyList<Approval> Approvals { get; init; }
    public required IReadOnlyList<WorkTask> Tasks { get; init; }
    public required Progress Progress { get; init; }
}

/// <summary>An issued invoice or credit note: the document and what the platform knows about it.</summary>
internal sealed record IssuedDocument(BillingDocument Document, string AccountId, string? CreditedBy, IReadOnlyList<ExportStatus> Exports);

/// <summary>The state of one export of a document to a billing adapter plugin.</summary>
internal sealed record ExportStatus(string PluginId, string Status, int Attempts, string? LastError, string? Reference, DateTimeOffset NextAttemptAt, DateTimeOffset UpdatedAt);

/// <summary>Requests.</summary>
internal sealed record EstimateLineRequest(string? Task, decimal? Hours, decimal? Rate);

internal sealed record CreateEstimateRequest(string? AccountId, long? TicketId, string? Title, string? ScopeReason, string? ScopeRuleId,
    IReadOnlyList<EstimateLineRequest>? Lines, IReadOnlyList<string>? Assumptions, DateOnly? ValidUntil);

internal sealed record ReviseEstimateRequest(string? Title, IReadOnlyList<EstimateLineRequest>? Lines, IReadOnlyList<string>? Assumptions, DateOnly? ValidUntil);

internal sealed record DecisionRequest(int? Version, string? Decision, string? Reason);

internal sealed record AssignRequest(string? StaffId);

internal sealed record TimeEntryRequest(string? TaskId, string? EstimateId, int? Minutes, DateTimeOffset? StartedAt, string? Note);

internal sealed record TimerStartRequest(string? TaskId, string? EstimateId, string? Note);

internal sealed record TimerStopRequest(string? Note);

internal sealed record InvoiceRequest(string? AccountId, IReadOnlyList<string>? EstimateIds, DateOnly? PeriodStart, DateOnly? PeriodEnd, bool IncludePhoneOverage = true);

internal sealed record EstimateQuote(
    IReadOnlyList<decimal?> Amounts, decimal Hours, decimal Subtotal, decimal Tax, decimal Total, string Currency, string TaxName, decimal TaxRate, IReadOnlyList<string> Problems);

internal sealed record PeriodRun(string Period, string? InvoiceId, DateTimeOffset At);

internal sealed record CreditNoteRequest(string? Reason);

internal sealed record ScopeRequest(IReadOnlyList<ScopeRuleRequest>? Rules);

internal sealed record ScopeRuleRequest(string? Id, string? Kind, string? Text);

/// <summary>Who did something, and from where.</summary>
internal sealed record Actor(string Id, string Name, string? Ip = null, string? UserAgent = null);

/// <summary>A refusal with a machine code and a sentence saying what was wrong.</summary>
internal sealed class BillingException(int status, string code, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}
