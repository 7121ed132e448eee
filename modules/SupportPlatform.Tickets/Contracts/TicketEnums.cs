namespace SupportPlatform.Tickets.Contracts;

/// <summary>Where a ticket is in its life.</summary>
public enum TicketStatus
{
    /// <summary>Created, nobody has acted on it yet.</summary>
    New = 0,

    /// <summary>Being worked on.</summary>
    Open = 1,

    /// <summary>Waiting for the client; SLA clocks pause.</summary>
    PendingClient = 2,

    /// <summary>Waiting for an external vendor; SLA clocks pause when the policy says so.</summary>
    PendingVendor = 3,

    /// <summary>Parked by staff (e.g. scheduled work); clocks keep running.</summary>
    OnHold = 4,

    /// <summary>Solved, with a resolution note; reopens on a client reply within the reopen window.</summary>
    Resolved = 5,

    /// <summary>Final, after the quiet period (or merged into another ticket).</summary>
    Closed = 6,
}

/// <summary>How a ticket reached the platform.</summary>
public enum TicketChannel
{
    /// <summary>The client portal.</summary>
    Portal = 0,

    /// <summary>Mail to the support address.</summary>
    Email = 1,

    /// <summary>A phone call.</summary>
    Phone = 2,

    /// <summary>A voicemail left after hours or unanswered.</summary>
    Voicemail = 3,

    /// <summary>An alert from monitoring.</summary>
    Monitoring = 4,

    /// <summary>The REST API (integrations).</summary>
    Api = 5,

    /// <summary>Opened by staff on the client's behalf.</summary>
    Staff = 6,
}

/// <summary>Who did something.</summary>
public enum ActorKind
{
    /// <summary>MSP staff (agent, engineer, admin).</summary>
    Staff = 0,

    /// <summary>A user of the client account.</summary>
    Client = 1,

    /// <summary>The platform itself (rules, schedules, integrations).</summary>
    System = 2,
}

/// <summary>Who can see a comment.</summary>
public enum CommentVisibility
{
    /// <summary>A reply the requester receives.</summary>
    Public = 0,

    /// <summary>A note for staff only; never sent to or shown to the client.</summary>
    Internal = 1,
}
