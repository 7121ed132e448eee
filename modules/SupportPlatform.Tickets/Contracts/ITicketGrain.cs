using SupportPlatform.Core;

namespace SupportPlatform.Tickets.Contracts;

/// <summary>
/// One ticket (key: the ticket number). The consistency boundary of a ticket: every change is validated here,
/// becomes a <see cref="TicketEvent"/>, and is stored with the ticket's read-model row in one transaction.
/// Rule violations throw <see cref="TicketRuleException"/>; a missing ticket throws it with code "not-found".
/// </summary>
[Alias("sp.tickets.ticket-grain")]
public interface ITicketGrain : IGrainWithIntegerKey
{
    /// <summary>Opens the ticket. Idempotent: calling it again on an existing ticket returns the ticket unchanged.</summary>
    [Alias("create")]
    Task<TicketView> Create(CreateTicket command);

    /// <summary>The ticket, or null when no ticket has this number.</summary>
    [Alias("get")]
    Task<TicketView?> Get();

    /// <summary>The ticket's events in order; with <paramref name="includeMerged"/>, those of tickets merged into it too.</summary>
    [Alias("history")]
    Task<IReadOnlyList<TicketHistoryEntry>> GetHistory(bool includeMerged);

    /// <summary>
    /// Adds a public reply or internal note. A client reply to a resolved ticket reopens it within the reopen window, else
    /// opens a follow-up. A staff comment on the <see cref="TicketChannel.Phone"/> channel (a call with the client) counts
    /// as a response (first or next) even when it is an internal note.
    /// </summary>
    [Alias("comment")]
    Task<CommentResult> AddComment(AddComment command);

    /// <summary>Moves the status. Resolving needs a resolution note; a closed ticket cannot move.</summary>
    [Alias("status")]
    Task<TicketView> ChangeStatus(ChangeStatus command);

    /// <summary>Sets the group and/or agent, with the reason shown in the history.</summary>
    [Alias("assign")]
    Task<TicketView> Assign(AssignTicket command);

    /// <summary>Changes the priority; SLA targets are re-based.</summary>
    [Alias("priority")]
    Task<TicketView> ChangePriority(ChangePriority command);

    /// <summary>
    /// Applies a changed contract of the ticket's account (SLA policy, calendar, reopen window, close-after) and re-bases
    /// the SLA clocks, with an event. Idempotent: a version already applied (or older) changes nothing; closed tickets keep theirs.
    /// </summary>
    [Alias("apply-contract")]
    Task<TicketView?> ApplyContract(ApplyContract command);

    /// <summary>Changes subject, type or tags.</summary>
    [Alias("details")]
    Task<TicketView> UpdateDetails(UpdateDetails command);

    /// <summary>Records a reference in another system (e.g. a vendor's case number).</summary>
    [Alias("external-reference")]
    Task<TicketView> AddExternalReference(ExternalReference reference, Actor actor);

    /// <summary>Escalates to a higher level (group) or to a vendor.</summary>
    [Alias("escalate")]
    Task<TicketView> Escalate(EscalateTicket command);

    /// <summary>Merges this ticket into <paramref name="target"/>: this one is closed with a link, both histories are kept.</summary>
    [Alias("merge-into")]
    Task<TicketView> MergeInto(long target, Actor actor);

    /// <summary>Called by a ticket being merged into this one.</summary>
    [Alias("receive-merge")]
    Task ReceiveMerge(long source, string subject, Actor actor);

    /// <summary>Splits a new ticket off this one, optionally copying some comments into it; both are linked.</summary>
    [Alias("split")]
    Task<TicketView> Split(SplitTicket command);

    /// <summary>
    /// Opens the ticket with the history it already has in another help desk (an import): created at its original time,
    /// then each step (comment, status, assignment) applied at its own time, so the SLA clocks, first response and
    /// resolution come from the original timestamps. Routing rules and escalation rules do not run on the past. One
    /// transaction; idempotent like <see cref="Create"/> (an existing ticket is returned unchanged).
    /// </summary>
    [Alias("import")]
    Task<TicketView> Import(ImportTicket command);
}

/// <summary>A ticket brought over from another help desk with its history; see <see cref="ITicketGrain.Import"/>.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.import")]
public sealed record ImportTicket
{
    /// <summary>The ticket as it was opened; <see cref="CreateTicket.ReceivedAt"/> is the original creation time (required).</summary>
    [Id(0)] public required CreateTicket Ticket { get; init; }

    /// <summary>What happened since, in time order (a step earlier than the one before is refused).</summary>
    [Id(1)] public IReadOnlyList<ImportedStep> Steps { get; init; } = [];
}

/// <summary>One past change of an imported ticket: exactly one of <see cref="Comment"/>, <see cref="Status"/>, <see cref="Assignment"/>.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.imported-step")]
public sealed record ImportedStep
{
    /// <summary>When it happened in the other help desk.</summary>
    [Id(0)] public required DateTimeOffset At { get; init; }

    [Id(1)] public AddComment? Comment { get; init; }

    [Id(2)] public ChangeStatus? Status { get; init; }

    [Id(3)] public AssignTicket? Assignment { get; init; }
}

/// <summary>An event with the ticket it belongs to (history views can include merged tickets).</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.history-entry")]
public sealed record TicketHistoryEntry([property: Id(0)] long TicketId, [property: Id(1)] TicketEvent Event);

/// <summary>Adds a comment.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.add-comment")]
public sealed record AddComment
{
    [Id(0)] public required Actor Actor { get; init; }
    [Id(1)] public required CommentVisibility Visibility { get; init; }
    [Id(2)] public required string Body { get; init; }
    [Id(3)] public IReadOnlyList<AttachmentRef> Attachments { get; init; } = [];
    [Id(4)] public TicketChannel? Channel { get; init; }

    /// <summary>Caller's id for the comment (e.g. derived from a Message-ID), so a retried delivery adds it once.</summary>
    [Id(5)] public string? CommentId { get; init; }
}

/// <summary>What adding a comment did.</summary>
/// <param name="Ticket">The ticket after the comment.</param>
/// <param name="CommentId">The comment's id.</param>
/// <param name="FollowUpTicket">Set when a client reply came after the reopen window and opened a new, linked ticket instead.</param>
[GenerateSerializer, Immutable, Alias("sp.tickets.comment-result")]
public sealed record CommentResult(
    [property: Id(0)] TicketView Ticket,
    [property: Id(1)] string CommentId,
    [property: Id(2)] long? FollowUpTicket);

/// <summary>Moves a ticket's status.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.change-status")]
public sealed record ChangeStatus
{
    [Id(0)] public required Actor Actor { get; init; }
    [Id(1)] public required TicketStatus To { get; init; }

    /// <summary>Required when resolving: how it was solved. Otherwise an optional reason.</summary>
    [Id(2)] public string? Note { get; init; }
}

/// <summary>Assigns a ticket.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.assign")]
public sealed record AssignTicket
{
    [Id(0)] public required Actor Actor { get; init; }
    [Id(1)] public string? Group { get; init; }
    [Id(2)] public string? AgentId { get; init; }

    /// <summary>Why ("rule 'network' matched", "by hand"); defaults to "assigned by {actor}".</summary>
    [Id(3)] public string? Reason { get; init; }
}

/// <summary>A contract to apply to an open ticket, as of the account's <see cref="AccountVersion"/>.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.apply-contract")]
public sealed record ApplyContract
{
    [Id(0)] public required long AccountVersion { get; init; }
    [Id(1)] public required SupportPlatform.Accounts.Contracts.ContractTerms Contract { get; init; }
}

/// <summary>Changes a ticket's priority.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.change-priority")]
public sealed record ChangePriority
{
    [Id(0)] public required Actor Actor { get; init; }
    [Id(1)] public required Priority To { get; init; }
    [Id(2)] public string? Reason { get; init; }
}

/// <summary>Changes subject, type or tags; null fields stay as they are.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.update-details")]
public sealed record UpdateDetails
{
    [Id(0)] public required Actor Actor { get; init; }
    [Id(1)] public string? Subject { get; init; }
    [Id(2)] public string? Type { get; init; }
    [Id(3)] public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>Escalates a ticket.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.escalate")]
public sealed record EscalateTicket
{
    [Id(0)] public required Actor Actor { get; init; }

    /// <summary>The group to hand it to (e.g. "L2"); null when escalating to a vendor.</summary>
    [Id(1)] public string? ToGroup { get; init; }

    /// <summary>The vendor to hand it to; the ticket goes pending-vendor.</summary>
    [Id(2)] public string? VendorId { get; init; }

    /// <summary>Why.</summary>
    [Id(3)] public required string Reason { get; init; }
}

/// <summary>Splits a ticket.</summary>
[GenerateSerializer, Immutable, Alias("sp.tickets.split")]
public sealed record SplitTicket
{
    [Id(0)] public required Actor Actor { get; init; }
    [Id(1)] public required string Subject { get; init; }
    [Id(2)] public string Description { get; init; } = "";

    /// <summary>Comments of this ticket to copy into the new one.</summary>
    [Id(3)] public IReadOnlyList<string> CommentIds { get; init; } = [];
}
