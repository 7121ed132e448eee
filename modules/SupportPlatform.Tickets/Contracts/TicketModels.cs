using SupportPlatform.Core;

namespace SupportPlatform.Tickets.Contracts;

/// <summary>Who did something: kind, stable id and display name.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.actor")]
public sealed record Actor(
    [property: Id(0)] ActorKind Kind,
    [property: Id(1)] string Id,
    [property: Id(2)] string Name)
{
    /// <summary>The platform acting on its own (rules, schedules).</summary>
    public static Actor System(string what) => new(ActorKind.System, "system", what);
}

/// <summary>A reference to the same matter in another system (a vendor's case number, a monitoring incident...).</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.external-reference")]
public sealed record ExternalReference(
    [property: Id(0)] string System,
    [property: Id(1)] string Reference,
    [property: Id(2)] string? Url);

/// <summary>A file attached to a ticket or comment; the bytes live in the attachment store, this is the reference.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.attachment")]
public sealed record AttachmentRef(
    [property: Id(0)] string Id,
    [property: Id(1)] string FileName,
    [property: Id(2)] string ContentType,
    [property: Id(3)] long Size);

/// <summary>Opens a ticket.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.create")]
public sealed record CreateTicket
{
    /// <summary>The client account the ticket belongs to.</summary>
    [Id(0)] public required string AccountId { get; init; }

    /// <summary>The client user who asked (id in the account).</summary>
    [Id(1)] public required string RequesterId { get; init; }

    /// <summary>How it arrived.</summary>
    [Id(2)] public required TicketChannel Channel { get; init; }

    /// <summary>Type or category ("incident", "request", "question"...), free text from the MSP's list.</summary>
    [Id(3)] public string? Type { get; init; }

    /// <summary>Priority; drives the SLA targets.</summary>
    [Id(4)] public Priority Priority { get; init; } = Priority.Normal;

    /// <summary>One line.</summary>
    [Id(5)] public required string Subject { get; init; }

    /// <summary>What the requester wrote.</summary>
    [Id(6)] public string Description { get; init; } = "";

    /// <summary>Labels.</summary>
    [Id(7)] public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>References in other systems.</summary>
    [Id(8)] public IReadOnlyList<ExternalReference> ExternalReferences { get; init; } = [];

    /// <summary>Files sent with the request.</summary>
    [Id(9)] public IReadOnlyList<AttachmentRef> Attachments { get; init; } = [];

    /// <summary>When the request reached the platform (e.g. the mail's arrival); SLA clocks start here. Defaults to now.</summary>
    [Id(10)] public DateTimeOffset? ReceivedAt { get; init; }

    /// <summary>A ticket this one follows up (e.g. a client reply after the reopen window).</summary>
    [Id(11)] public long? FollowUpOf { get; init; }

    /// <summary>Who opened it.</summary>
    [Id(12)] public required Actor Actor { get; init; }

    /// <summary>
    /// A group the opener hands the ticket to from the start (e.g. monitoring's security queue); routing then only picks the agent in it.
    /// Null: the routing rules decide the group too.
    /// </summary>
    [Id(13)] public string? Group { get; init; }

    /// <summary>Why the ticket starts in <see cref="Group"/>, shown in its history.</summary>
    [Id(14)] public string? GroupReason { get; init; }
}

/// <summary>One SLA clock as shown on a ticket.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.sla-clock-view")]
public sealed record SlaClockView(
    [property: Id(0)] string Kind,
    [property: Id(1)] string State,
    [property: Id(2)] DateTimeOffset? WarningAt,
    [property: Id(3)] DateTimeOffset? DueAt,
    [property: Id(4)] bool Breached,
    [property: Id(5)] DateTimeOffset? MetAt);

/// <summary>A ticket as staff see it.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.view")]
public sealed record TicketView
{
    [Id(0)] public required long Id { get; init; }
    [Id(1)] public required string AccountId { get; init; }
    [Id(2)] public required string RequesterId { get; init; }
    [Id(3)] public required TicketChannel Channel { get; init; }
    [Id(4)] public string? Type { get; init; }
    [Id(5)] public required Priority Priority { get; init; }
    [Id(6)] public required TicketStatus Status { get; init; }
    [Id(7)] public required string Subject { get; init; }
    [Id(8)] public required string Description { get; init; }
    [Id(9)] public IReadOnlyList<string> Tags { get; init; } = [];
    [Id(10)] public string? Group { get; init; }
    [Id(11)] public string? AgentId { get; init; }
    [Id(12)] public IReadOnlyList<ExternalReference> ExternalReferences { get; init; } = [];
    [Id(13)] public IReadOnlyList<AttachmentRef> Attachments { get; init; } = [];
    [Id(14)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(15)] public required DateTimeOffset UpdatedAt { get; init; }
    [Id(16)] public DateTimeOffset? FirstResponseAt { get; init; }
    [Id(17)] public DateTimeOffset? ResolvedAt { get; init; }
    [Id(18)] public DateTimeOffset? ClosedAt { get; init; }
    [Id(19)] public string? ResolutionNote { get; init; }
    [Id(20)] public long? MergedInto { get; init; }
    [Id(21)] public IReadOnlyList<long> MergedFrom { get; init; } = [];
    [Id(22)] public IReadOnlyList<long> Related { get; init; } = [];
    [Id(23)] public IReadOnlyList<SlaClockView> Sla { get; init; } = [];
    [Id(24)] public int EscalationLevel { get; init; }
    [Id(25)] public required long Version { get; init; }
}

/// <summary>A broken rule of the ticket's life (e.g. resolving without a note); the API answers it as a 409 or 422 problem.</summary>
[GenerateSerializer, Alias("sp.tickets.rule-exception")]
public sealed class TicketRuleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TicketRuleException(string code, string message) : base(message) => Code = code;

    /// <summary>Machine-readable code, e.g. "resolution-note-required".</summary>
    [Id(0)] public string Code { get; }

    /// <summary>True when the request itself is invalid (422); false when it conflicts with the ticket's state (409).</summary>
    public bool IsValidation => Code.EndsWith("-required", StringComparison.Ordinal) || Code.StartsWith("invalid-", StringComparison.Ordinal);
}
