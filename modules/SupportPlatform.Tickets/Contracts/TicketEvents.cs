using System.Text.Json.Serialization;
using SupportPlatform.Core;

namespace SupportPlatform.Tickets.Contracts;

/// <summary>
/// One change to a ticket: the audit trail, the history shown to staff and the facts reports compute from.
/// Numbered from 1 per ticket, in order, never rewritten. Stored in grain state (Orleans serializer, by alias and id)
/// and in the read model (<c>sp_ticket_events</c>, as JSON with a <c>kind</c> discriminator).
/// </summary>
[GenerateSerializer, Alias("sp.tickets.event")]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(TicketCreated), "created")]
[JsonDerivedType(typeof(CommentAdded), "comment")]
[JsonDerivedType(typeof(StatusChanged), "status")]
[JsonDerivedType(typeof(Assigned), "assigned")]
[JsonDerivedType(typeof(PriorityChanged), "priority")]
[JsonDerivedType(typeof(DetailsChanged), "details")]
[JsonDerivedType(typeof(ExternalReferenceAdded), "external-reference")]
[JsonDerivedType(typeof(Escalated), "escalated")]
[JsonDerivedType(typeof(ContractApplied), "contract-changed")]
[JsonDerivedType(typeof(SlaWarned), "sla-warning")]
[JsonDerivedType(typeof(SlaBreached), "sla-breach")]
[JsonDerivedType(typeof(MergedInto), "merged-into")]
[JsonDerivedType(typeof(MergeReceived), "merge-received")]
[JsonDerivedType(typeof(SplitOff), "split-off")]
[JsonDerivedType(typeof(FollowUpOpened), "follow-up")]
public abstract record TicketEvent
{
    /// <summary>Position in the ticket's history, from 1.</summary>
    [Id(0)] public long Seq { get; init; }

    /// <summary>When it happened.</summary>
    [Id(1)] public DateTimeOffset At { get; init; }

    /// <summary>Who did it.</summary>
    [Id(2)] public required Actor Actor { get; init; }

    private static readonly Dictionary<Type, string> Kinds = typeof(TicketEvent)
        .GetCustomAttributes(typeof(JsonDerivedTypeAttribute), inherit: false)
        .Cast<JsonDerivedTypeAttribute>()
        .ToDictionary(a => a.DerivedType, a => (string)a.TypeDiscriminator!);

    /// <summary>The discriminator stored in the read model and written as "kind" in JSON (one list: the attributes above).</summary>
    [JsonIgnore]
    public string Kind => Kinds[GetType()];
}

/// <summary>The ticket was opened.</summary>
[GenerateSerializer, Alias("sp.tickets.event.created")]
public sealed record TicketCreated : TicketEvent
{
    [Id(0)] public required TicketChannel Channel { get; init; }
    [Id(1)] public required Priority Priority { get; init; }
    [Id(2)] public required string Subject { get; init; }
    [Id(3)] public long? FollowUpOf { get; init; }
    [Id(4)] public string? Type { get; init; }

}

/// <summary>A public reply or an internal note.</summary>
[GenerateSerializer, Alias("sp.tickets.event.comment")]
public sealed record CommentAdded : TicketEvent
{
    [Id(0)] public required string CommentId { get; init; }
    [Id(1)] public required CommentVisibility Visibility { get; init; }
    [Id(2)] public required string Body { get; init; }
    [Id(3)] public IReadOnlyList<AttachmentRef> Attachments { get; init; } = [];

    /// <summary>Channel the comment came through (e.g. an emailed reply).</summary>
    [Id(4)] public TicketChannel? Channel { get; init; }

}

/// <summary>The status moved; <see cref="Note"/> holds the resolution note when resolving, or the reason.</summary>
[GenerateSerializer, Alias("sp.tickets.event.status")]
public sealed record StatusChanged : TicketEvent
{
    [Id(0)] public required TicketStatus From { get; init; }
    [Id(1)] public required TicketStatus To { get; init; }
    [Id(2)] public string? Note { get; init; }

}

/// <summary>The group or agent changed; <see cref="Reason"/> explains the decision ("rule 'network' matched", "by hand").</summary>
[GenerateSerializer, Alias("sp.tickets.event.assigned")]
public sealed record Assigned : TicketEvent
{
    [Id(0)] public string? Group { get; init; }
    [Id(1)] public string? AgentId { get; init; }
    [Id(2)] public required string Reason { get; init; }

}

/// <summary>The priority changed; the SLA targets are re-based.</summary>
[GenerateSerializer, Alias("sp.tickets.event.priority")]
public sealed record PriorityChanged : TicketEvent
{
    [Id(0)] public required Priority From { get; init; }
    [Id(1)] public required Priority To { get; init; }
    [Id(2)] public string? Reason { get; init; }

}

/// <summary>Subject, type or tags changed (only the fields that changed are set).</summary>
[GenerateSerializer, Alias("sp.tickets.event.details")]
public sealed record DetailsChanged : TicketEvent
{
    [Id(0)] public string? Subject { get; init; }
    [Id(1)] public string? Type { get; init; }
    [Id(2)] public IReadOnlyList<string>? Tags { get; init; }

}

/// <summary>A reference in another system was recorded (e.g. the vendor's case number).</summary>
[GenerateSerializer, Alias("sp.tickets.event.external-reference")]
public sealed record ExternalReferenceAdded : TicketEvent
{
    [Id(0)] public required ExternalReference Reference { get; init; }

}

/// <summary>The ticket was escalated to a higher support level or to a vendor.</summary>
[GenerateSerializer, Alias("sp.tickets.event.escalated")]
public sealed record Escalated : TicketEvent
{
    [Id(0)] public required int Level { get; init; }
    [Id(1)] public string? ToGroup { get; init; }
    [Id(2)] public string? VendorId { get; init; }
    [Id(3)] public required string Reason { get; init; }

}

/// <summary>The account's contract changed and was applied to this ticket: SLA targets re-based from now.</summary>
[GenerateSerializer, Alias("sp.tickets.event.contract-changed")]
public sealed record ContractApplied : TicketEvent
{
    [Id(0)] public required long AccountVersion { get; init; }
    [Id(1)] public required string Changes { get; init; }
}

/// <summary>An SLA clock reached its warning share.</summary>
[GenerateSerializer, Alias("sp.tickets.event.sla-warning")]
public sealed record SlaWarned : TicketEvent
{
    [Id(0)] public required string Clock { get; init; }
    [Id(1)] public required DateTimeOffset DueAt { get; init; }

}

/// <summary>An SLA clock ran out. Recorded once and never erased, whatever happens to the ticket afterwards.</summary>
[GenerateSerializer, Alias("sp.tickets.event.sla-breach")]
public sealed record SlaBreached : TicketEvent
{
    [Id(0)] public required string Clock { get; init; }
    [Id(1)] public required DateTimeOffset DueAt { get; init; }

}

/// <summary>This ticket was merged into another one and closed; its history stays.</summary>
[GenerateSerializer, Alias("sp.tickets.event.merged-into")]
public sealed record MergedInto : TicketEvent
{
    [Id(0)] public required long Target { get; init; }

}

/// <summary>Another ticket was merged into this one; its history is shown with this one's.</summary>
[GenerateSerializer, Alias("sp.tickets.event.merge-received")]
public sealed record MergeReceived : TicketEvent
{
    [Id(0)] public required long Source { get; init; }
    [Id(1)] public required string Subject { get; init; }

}

/// <summary>Part of this ticket was split off into a new ticket.</summary>
[GenerateSerializer, Alias("sp.tickets.event.split-off")]
public sealed record SplitOff : TicketEvent
{
    [Id(0)] public required long NewTicket { get; init; }
    [Id(1)] public required string Subject { get; init; }

}

/// <summary>A client wrote after the reopen window, so a new, linked ticket was opened instead of reopening this one.</summary>
[GenerateSerializer, Alias("sp.tickets.event.follow-up")]
public sealed record FollowUpOpened : TicketEvent
{
    [Id(0)] public required long NewTicket { get; init; }

}
