using System.Collections.Immutable;
using SupportPlatform.Core;
using SupportPlatform.Sla.Contracts;
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

    /// <summary>The ticket this one follows up or was split from.</summary>
    [Id(26)] public long? FollowUpOf { get; init; }

    /// <summary>The SLA clocks, under the policy of the account's contract when the ticket opened.</summary>
    [Id(27)] public SlaState? Sla { get; init; }

    /// <summary>The account's business calendar when the ticket opened (the clocks run on it).</summary>
    [Id(28)] public BusinessCalendar? Calendar { get; init; }

    /// <summary>Deadlines this ticket has scheduled (id to due time), to diff against what should be scheduled.</summary>
    [Id(29)] public ImmutableDictionary<string, DateTimeOffset> Scheduled { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;

    /// <summary>From the contract: a client reply within this time after resolution reopens the ticket.</summary>
    [Id(30)] public TimeSpan ReopenWindow { get; init; }

    /// <summary>From the contract: a resolved ticket closes after this quiet period.</summary>
    [Id(31)] public TimeSpan CloseAfter { get; init; }

    /// <summary>Automatic escalations already done, as "rule|clock|kind", so each fires at most once per ticket.</summary>
    [Id(32)] public IReadOnlyList<string> AutoEscalations { get; init; } = [];

    /// <summary>The version of the account whose contract terms the ticket runs on (0: before versions were kept).</summary>
    [Id(33)] public long ContractVersion { get; init; }

    public TicketView ToView(long version) => new()
    {
        Sla = Sla is null || Calendar is null ? [] : SlaViews(Sla, Calendar),
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

    private static IReadOnlyList<SlaClockView> SlaViews(SlaState sla, BusinessCalendar calendar) =>
        new[] { SlaClockKind.FirstResponse, SlaClockKind.NextResponse, SlaClockKind.Resolution }
            .Select(kind =>
            {
                var clock = sla.Clock(kind);
                var active = clock.IsActive;
                return new SlaClockView(
                    Kind: KebabCase(kind.ToString()),
                    State: KebabCase(clock.Status.ToString()),
                    WarningAt: active ? clock.WarningAt(calendar) : null,
                    DueAt: active ? clock.DueAt(calendar) : null,
                    Breached: sla.Breaches.Any(b => b.Clock == kind),
                    MetAt: clock.MetAt);
            })
            .ToList();

    private static string KebabCase(string name) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(name);
}
