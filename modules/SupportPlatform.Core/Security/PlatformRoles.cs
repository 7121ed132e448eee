namespace SupportPlatform.Core.Security;

/// <summary>
/// Role names carried as role claims. A staff user has exactly one staff role; the roles form a ladder
/// (<see cref="Admin"/> can do everything <see cref="Senior"/> can, who can do everything <see cref="Agent"/> can).
/// Client users have the role <see cref="Client"/>.
/// </summary>
public static class PlatformRoles
{
    /// <summary>Administrator: users, tokens, audit, plugins, system settings, and everything below.</summary>
    public const string Admin = "admin";

    /// <summary>Senior engineer: contracts, routing and escalation rules, vendors, and everything an agent can do.</summary>
    public const string Senior = "senior";

    /// <summary>Agent: works tickets.</summary>
    public const string Agent = "agent";

    /// <summary>A user of one client account.</summary>
    public const string Client = "client";

    /// <summary>The staff roles, highest first.</summary>
    public static IReadOnlyList<string> Staff { get; } = [Admin, Senior, Agent];

    /// <summary>Every role, highest first.</summary>
    public static IReadOnlyList<string> All { get; } = [Admin, Senior, Agent, Client];

    /// <summary>True for admin, senior and agent.</summary>
    public static bool IsStaff(string? role) => role is Admin or Senior or Agent;

    /// <summary>Rank on the ladder (admin 3, senior 2, agent 1, client 0); -1 for an unknown role.</summary>
    public static int Rank(string? role) => role switch
    {
        Admin => 3,
        Senior => 2,
        Agent => 1,
        Client => 0,
        _ => -1,
    };

    /// <summary>The roles <paramref name="role"/> includes on the ladder (admin → admin, senior, agent).</summary>
    public static IReadOnlyList<string> Implied(string role) => role switch
    {
        Admin => [Admin, Senior, Agent],
        Senior => [Senior, Agent],
        Agent => [Agent],
        Client => [Client],
        _ => [],
    };
}
