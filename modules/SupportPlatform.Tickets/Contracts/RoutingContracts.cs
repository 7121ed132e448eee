using SupportPlatform.Core;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Tickets.Contracts;

/// <summary>
/// A staff member tickets can be routed to. A minimal directory until staff accounts exist: groups ("L1", "L2",
/// "security") and skills ("exchange", "networking") drive routing; only active agents on shift receive new tickets.
/// </summary>
/// <param name="Id">Stable id (1–64 lowercase letters, digits, '-', '.', '_'), the agentId on tickets.</param>
/// <param name="DisplayName">The name shown to staff.</param>
/// <param name="Groups">Groups the agent works in.</param>
/// <param name="Skills">What the agent knows; a routing rule may require one.</param>
/// <param name="OnShift">Working now; agents off shift get no routed tickets.</param>
/// <param name="Active">False for someone who left; kept so old tickets still name them.</param>
public sealed record Agent(string Id, string DisplayName, IReadOnlyList<string> Groups, IReadOnlyList<string> Skills, bool OnShift, bool Active);

/// <summary>How a routing rule picks the agent within its group.</summary>
public enum RoutingStrategy
{
    /// <summary>The eligible agent with the fewest open tickets assigned (ties: lowest id).</summary>
    LeastLoaded = 0,

    /// <summary>The next eligible agent in a durable rotation kept per rule.</summary>
    RoundRobin = 1,
}

/// <summary>
/// One routing rule. Rules are tried in order on a new ticket; the first that matches picks the group, then the agent.
/// Each criterion is a list matched as "any of"; empty lists match everything; a rule matches when every non-empty
/// criterion matches (a rule with no criteria is a catch-all).
/// </summary>
/// <param name="Name">Unique name, cited in the ticket's history.</param>
/// <param name="Types">Ticket types (case-insensitive).</param>
/// <param name="Priorities">Priorities.</param>
/// <param name="AccountIds">Client accounts.</param>
/// <param name="Channels">Channels the ticket came through.</param>
/// <param name="Keywords">Whole words (case-insensitive) looked for in the subject and the description; not regular expressions.</param>
/// <param name="Group">The group the ticket goes to.</param>
/// <param name="RequiredSkill">When set, only agents with this skill are picked.</param>
/// <param name="Strategy">How the agent is picked.</param>
public sealed record RoutingRule(
    string Name,
    IReadOnlyList<string>? Types,
    IReadOnlyList<Priority>? Priorities,
    IReadOnlyList<string>? AccountIds,
    IReadOnlyList<TicketChannel>? Channels,
    IReadOnlyList<string>? Keywords,
    string Group,
    string? RequiredSkill,
    RoutingStrategy Strategy = RoutingStrategy.LeastLoaded);

/// <summary>
/// Escalates a ticket automatically when one of its SLA clocks warns or breaches. Rules are tried in order; for each
/// warning or breach the first matching rule escalates, at most once per (rule, clock, kind) and ticket.
/// </summary>
/// <param name="Name">Unique name, cited in the escalation's reason.</param>
/// <param name="Priorities">Priorities it applies to (at least one).</param>
/// <param name="AccountIds">Client accounts it applies to; empty for all.</param>
/// <param name="On">Which SLA events trigger it: warning, breach or both (at least one).</param>
/// <param name="Clocks">Which clocks (first-response, next-response, resolution); empty for all.</param>
/// <param name="ToGroup">The group the ticket is escalated to (e.g. "L2").</param>
public sealed record EscalationRule(
    string Name,
    IReadOnlyList<Priority> Priorities,
    IReadOnlyList<string>? AccountIds,
    IReadOnlyList<SlaDeadlineKind> On,
    IReadOnlyList<SlaClockKind>? Clocks,
    string ToGroup);

/// <summary>An external vendor tickets can be escalated to (hardware maker, ISP, software publisher).</summary>
/// <param name="Id">Stable id (1–64 lowercase letters, digits, '-', '.', '_').</param>
/// <param name="Name">The vendor's name.</param>
/// <param name="ContactEmail">Where escalations are sent (the vendor's support address).</param>
/// <param name="Notes">Free text for staff (contract number, phone line, hours).</param>
public sealed record Vendor(string Id, string Name, string ContactEmail, string? Notes);

/// <summary>
/// The message that hands a ticket's context to a vendor: recorded "to be sent" in the vendor outbox
/// (<c>sp_vendor_outbox</c>) in the same transaction as the escalation, for the email module to send.
/// </summary>
/// <param name="Id">Stable id ("t{ticket}-e{escalation level}"), so a sender can de-duplicate.</param>
/// <param name="TicketId">The ticket escalated.</param>
/// <param name="VendorId">The vendor.</param>
/// <param name="Recipient">The vendor's contact address.</param>
/// <param name="Subject">The mail's subject (carries the ticket number).</param>
/// <param name="Body">Plain text: the ticket's subject, description and public comments; never internal notes.</param>
/// <param name="Status">"pending" until sent, then "sent".</param>
/// <param name="CreatedAt">When the escalation happened.</param>
public sealed record VendorMessage(
    string Id,
    long TicketId,
    string VendorId,
    string Recipient,
    string Subject,
    string Body,
    string Status,
    DateTimeOffset CreatedAt);

/// <summary>The agent directory as other modules see it (e.g. to notify the members of a group).</summary>
public interface IAgentDirectory
{
    /// <summary>All agents; with <paramref name="available"/> only those active and on shift.</summary>
    Task<IReadOnlyList<Agent>> ListAgentsAsync(bool available = false, CancellationToken cancellationToken = default);
}
