namespace SupportPlatform.Sdk.Ticketing;

/// <summary>One page of a list or export.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class TicketingPage<T>
{
    /// <summary>The items of the page, in the help desk's order.</summary>
    public required IReadOnlyList<T> Items { get; init; }

    /// <summary>Where the next page starts (opaque to the host, stored between calls and restarts); <see langword="null"/> when there is none.</summary>
    public string? NextCursor { get; init; }

    /// <summary>True when this is the last page for now.</summary>
    public bool EndOfStream { get; init; }
}

/// <summary>An organisation (Zendesk) or company (Freshdesk): becomes a client account.</summary>
public sealed class ExternalOrganization
{
    /// <summary>The help desk's id.</summary>
    public required string Id { get; init; }

    /// <summary>The name.</summary>
    public required string Name { get; init; }

    /// <summary>Mail domains of the organisation (lower case), if the help desk keeps them.</summary>
    public IReadOnlyList<string> Domains { get; init; } = [];
}

/// <summary>A user of the help desk: an end user (becomes a contact of an account) or an agent (matched to staff by email).</summary>
public sealed class ExternalUser
{
    /// <summary>The help desk's id.</summary>
    public required string Id { get; init; }

    /// <summary>The email address, or <see langword="null"/> when the help desk has none.</summary>
    public string? Email { get; init; }

    /// <summary>The display name.</summary>
    public required string Name { get; init; }

    /// <summary>The organisation the user belongs to, or <see langword="null"/>.</summary>
    public string? OrganizationId { get; init; }

    /// <summary>True for agents and administrators of the help desk.</summary>
    public bool IsAgent { get; init; }
}

/// <summary>Ticket states, normalised across help desks.</summary>
public enum ExternalTicketStatus
{
    /// <summary>Not yet handled (Zendesk new).</summary>
    New = 0,

    /// <summary>Being worked on.</summary>
    Open = 1,

    /// <summary>Waiting for the requester.</summary>
    Pending = 2,

    /// <summary>Waiting for a third party (Zendesk on-hold, Freshdesk "waiting on third party").</summary>
    OnHold = 3,

    /// <summary>Solved (Freshdesk resolved).</summary>
    Solved = 4,

    /// <summary>Closed: no longer changes.</summary>
    Closed = 5,

    /// <summary>Deleted (or spam) in the help desk.</summary>
    Deleted = 6,
}

/// <summary>Ticket priorities, normalised across help desks.</summary>
public enum ExternalTicketPriority
{
    /// <summary>Low.</summary>
    Low = 0,

    /// <summary>Normal (Freshdesk medium; Zendesk tickets without a priority).</summary>
    Normal = 1,

    /// <summary>High.</summary>
    High = 2,

    /// <summary>Urgent.</summary>
    Urgent = 3,
}

/// <summary>A ticket of the help desk.</summary>
public sealed class ExternalTicket
{
    /// <summary>The help desk's id.</summary>
    public required string Id { get; init; }

    /// <summary>The requester's user id.</summary>
    public required string RequesterId { get; init; }

    /// <summary>The organisation's id, or <see langword="null"/> (the requester's organisation then counts).</summary>
    public string? OrganizationId { get; init; }

    /// <summary>The subject.</summary>
    public required string Subject { get; init; }

    /// <summary>The first message (plain text).</summary>
    public string Description { get; init; } = "";

    /// <summary>The status.</summary>
    public required ExternalTicketStatus Status { get; init; }

    /// <summary>The priority.</summary>
    public ExternalTicketPriority Priority { get; init; } = ExternalTicketPriority.Normal;

    /// <summary>The email of the assigned agent, or <see langword="null"/> when unassigned.</summary>
    public string? AssigneeEmail { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>When the ticket was opened in the help desk.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed in the help desk.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When it was solved, if the help desk says (ticket metrics, stats); else the bridge takes the last change of a solved ticket.</summary>
    public DateTimeOffset? SolvedAt { get; init; }

    /// <summary>A link to the ticket in the help desk's agent interface, or <see langword="null"/>.</summary>
    public Uri? Url { get; init; }

    /// <summary>Files attached to the first message.</summary>
    public IReadOnlyList<ExternalAttachment> Attachments { get; init; } = [];
}

/// <summary>A comment (Zendesk) or conversation entry (Freshdesk) of a ticket.</summary>
public sealed class ExternalComment
{
    /// <summary>The help desk's id.</summary>
    public required string Id { get; init; }

    /// <summary>The author's user id.</summary>
    public required string AuthorId { get; init; }

    /// <summary>The author's display name, or <see langword="null"/>.</summary>
    public string? AuthorName { get; init; }

    /// <summary>The author's email address (agents are matched to staff users by it), or <see langword="null"/>.</summary>
    public string? AuthorEmail { get; init; }

    /// <summary>True when an agent wrote it (a response to the requester when public).</summary>
    public bool AuthorIsAgent { get; init; }

    /// <summary>False for internal notes.</summary>
    public bool Public { get; init; } = true;

    /// <summary>The text (plain).</summary>
    public required string Body { get; init; }

    /// <summary>When it was written.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Attached files.</summary>
    public IReadOnlyList<ExternalAttachment> Attachments { get; init; } = [];
}

/// <summary>A file in the help desk.</summary>
public sealed class ExternalAttachment
{
    /// <summary>The help desk's id.</summary>
    public required string Id { get; init; }

    /// <summary>The file name.</summary>
    public required string FileName { get; init; }

    /// <summary>The content type, or <see langword="null"/>.</summary>
    public string? ContentType { get; init; }

    /// <summary>The size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>Where the adapter downloads it from.</summary>
    public required Uri ContentUrl { get; init; }
}

/// <summary>A comment to write to the help desk.</summary>
public sealed class ExternalCommentDraft
{
    /// <summary>The text (plain).</summary>
    public required string Body { get; init; }

    /// <summary>False for an internal note.</summary>
    public bool Public { get; init; } = true;

    /// <summary>The email of the staff user who wrote it on the platform (the adapter may post as that agent), or <see langword="null"/>.</summary>
    public string? AuthorEmail { get; init; }

    /// <summary>The author's display name, for adapters that cannot post as them.</summary>
    public string? AuthorName { get; init; }
}

/// <summary>A change of a help desk ticket; <see langword="null"/> members stay as they are.</summary>
public sealed class ExternalTicketUpdate
{
    /// <summary>The new status.</summary>
    public ExternalTicketStatus? Status { get; init; }

    /// <summary>The email of the agent to assign; an empty string unassigns.</summary>
    public string? AssigneeEmail { get; init; }
}
