using SupportPlatform.Core;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Grains;

/// <summary>The ticket grain's state, stored (Orleans serializer) in the ticket's read-model row.</summary>
[GenerateSerializer, Alias("sp.tickets.state")]
internal sealed record TicketState
{
    [Id(0)] public long Id { get; init; }
    [Id(1)] public string AccountId { get; init; } = "";
    [Id(2)] public string RequesterId { get; init; } = "";
    [Id(3)] public TicketChannel Channel { get; init; }
    [Id(4)] public string? Type { get; init; }
    [Id(5)] public Priority Priority { get; init; }
    [Id(6)] public TicketStatus Status { get; init; }
    [Id(7)] public string Subject { get; init; } = "";
    [Id(8)] public string Description { get; init; } = "";
    [Id(9)] public IReadOnlyList<string> Tags { get; init; } = [];
    [Id(10)] public string? Group { get; init; }
    [Id(11)] public string? AgentId { get; init; }
    [Id(12)] public IReadOnlyList<ExternalReference> ExternalReferences { get; init; } = [];
    [Id(13)] public IReadOnlyList<AttachmentRef> Attachments { get; init; } = [];
    [Id(14)] public DateTimeOffset CreatedAt { get; init; }
    [Id(15)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(16)] public DateTimeOffset? FirstResponseAt { get; init; }
    [Id(17)] public DateTimeOffset? ResolvedAt { get; init; }
    [Id(18)] public DateTimeOffset? ClosedAt { get; init; }
    [Id(19)] public string? ResolutionNote { get; init; }
    [Id(20)] public long? MergedInto { get; init; }
    [Id(21)] public IReadOnlyList<long> MergedFrom { get; init; } = [];
    [Id(22)] public IReadOnlyList<long> Related { get; init; } = [];
    [Id(23)] public int EscalationLevel { get; init; }
    [Id(24)] public long LastSeq { get; init; }

    /// <summary>Comment ids already added, so a retried delivery (same id) adds nothing.</summary>
    [Id(25)] public IReadOnlyList<string> CommentIds { get; init; } = [];

    /// <summary>The created command's fingerprint, so a repeated Create is recognised.</summary>
    [Id(26)] public long? FollowUpOf { get; init; }

    public TicketView ToView(long version) => new()
    {
        Id = Id,
        AccountId = AccountId,
        RequesterId = RequesterId,
        Channel = Channel,
        Type = Type,
        Priority = Priority,
        Status = Status,
        Subject = Subject,
        Description = Description,
        Tags = Tags,
        Group = Group,
        AgentId = AgentId,
        ExternalReferences = ExternalReferences,
        Attachments = Attachments,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        FirstResponseAt = FirstResponseAt,
        ResolvedAt = ResolvedAt,
        ClosedAt = ClosedAt,
        ResolutionNote = ResolutionNote,
        MergedInto = MergedInto,
        MergedFrom = MergedFrom,
        Related = Related,
        EscalationLevel = EscalationLevel,
        Version = version,
    };
}
