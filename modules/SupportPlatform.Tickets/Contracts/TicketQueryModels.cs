using SupportPlatform.Core;

namespace SupportPlatform.Tickets.Contracts;

/// <summary>A ticket as lists and queues show it (read model).</summary>
public sealed record TicketSummary(
    long Id,
    string AccountId,
    string RequesterId,
    TicketChannel Channel,
    string? Type,
    Priority Priority,
    TicketStatus Status,
    string Subject,
    string? Group,
    string? AgentId,
    IReadOnlyList<string> Tags,
    int EscalationLevel,
    long? MergedInto,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? NextDueAt,
    bool Breached);

/// <summary>One page of results.</summary>
public sealed record ResultPage<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);
