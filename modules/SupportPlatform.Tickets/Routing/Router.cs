using System.Globalization;
using System.Text.RegularExpressions;
using SupportPlatform.Core;
using SupportPlatform.Sla.Contracts;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Persistence;

namespace SupportPlatform.Tickets.Routing;

/// <summary>What routing decided for a new ticket: the group, the agent (null: left to the group) and why.</summary>
internal sealed record RoutingDecision(string Group, string? AgentId, string Reason);

/// <summary>The parts of a new ticket routing rules look at.</summary>
internal sealed record RoutingInput(string AccountId, TicketChannel Channel, string? Type, Priority Priority, string Subject, string Description);

/// <summary>An escalation an SLA warning or breach calls for.</summary>
internal sealed record EscalationDecision(string Key, string ToGroup, string Reason);

/// <summary>Applies the routing and escalation rules (stateless; the rules, agents and rotation live in <see cref="RoutingStore"/>).</summary>
internal sealed class Router(RoutingStore store)
{
    /// <summary>
    /// The first matching rule's group and agent, or null when no rule matches: the ticket then stays unassigned in the
    /// general queue and no assignment event is written (nothing was decided; an event would claim a change that did not happen).
    /// </summary>
    public async Task<RoutingDecision?> RouteAsync(RoutingInput ticket, CancellationToken cancellationToken = default)
    {
        var rules = await store.GetRulesAsync<RoutingRule>(RoutingStore.RoutingRules, cancellationToken);
        foreach (var rule in rules)
        {
            if (Match(rule, ticket) is not { } why)
            {
                continue;
            }

            var matched = $"rule '{rule.Name}' matched ({why})";
            var eligible = (await store.ListAgentsAsync(available: true, cancellationToken))
                .Where(a => a.Groups.Contains(rule.Group, StringComparer.OrdinalIgnoreCase)
                    && (rule.RequiredSkill is null || a.Skills.Contains(rule.RequiredSkill, StringComparer.OrdinalIgnoreCase)))
                .OrderBy(a => a.Id, StringComparer.Ordinal)
                .ToList();
            var who = $"{rule.Group}{(rule.RequiredSkill is null ? "" : " with skill " + rule.RequiredSkill)}";
            if (eligible.Count == 0)
            {
                return new RoutingDecision(rule.Group, null,
                    $"{matched}; no agent in {who} is active and on shift: left to the group {rule.Group}");
            }

            if (rule.Strategy == RoutingStrategy.RoundRobin)
            {
                var turn = await store.NextTurnAsync(rule.Name, cancellationToken);
                var agent = eligible[(int)((turn - 1) % eligible.Count)];
                return new RoutingDecision(rule.Group, agent.Id,
                    $"{matched}; round-robin agent in {who}: {agent.Id} (turn {turn}, {eligible.Count} eligible)");
            }

            var open = await store.OpenTicketCountsAsync(eligible.Select(a => a.Id).ToList(), cancellationToken);
            var least = eligible.MinBy(a => open.GetValueOrDefault(a.Id))!;
            return new RoutingDecision(rule.Group, least.Id,
                $"{matched}; least-loaded agent in {who}: {least.Id} ({open.GetValueOrDefault(least.Id)} open)");
        }

        return null;
    }

    /// <summary>
    /// The agent a ticket handed to <paramref name="group"/> (by an escalation) goes to: the least-loaded active agent
    /// on shift in that group, with the reason for the history; null when nobody in it is available (the ticket then
    /// waits in the group's queue).
    /// </summary>
    public async Task<(string AgentId, string Reason)?> PickInGroupAsync(string group, CancellationToken cancellationToken = default)
    {
        var eligible = (await store.ListAgentsAsync(available: true, cancellationToken))
            .Where(a => a.Groups.Contains(group, StringComparer.OrdinalIgnoreCase))
            .OrderBy(a => a.Id, StringComparer.Ordinal)
            .ToList();
        if (eligible.Count == 0)
        {
            return null;
        }

        var open = await store.OpenTicketCountsAsync(eligible.Select(a => a.Id).ToList(), cancellationToken);
        var least = eligible.MinBy(a => open.GetValueOrDefault(a.Id))!;
        return (least.Id, $"escalated to {group}; least-loaded agent in {group}: {least.Id} ({open.GetValueOrDefault(least.Id)} open)");
    }

    /// <summary>Why <paramref name="rule"/> matches <paramref name="ticket"/> ("type 'incident', keyword 'exchange"), or null.</summary>
    internal static string? Match(RoutingRule rule, RoutingInput ticket)
    {
        var reasons = new List<string>();
        if (rule.Types is { Count: > 0 })
        {
            if (ticket.Type is null || !rule.Types.Contains(ticket.Type, StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }

            reasons.Add($"type '{ticket.Type}'");
        }

        if (rule.Priorities is { Count: > 0 })
        {
            if (!rule.Priorities.Contains(ticket.Priority))
            {
                return null;
            }

            reasons.Add($"priority {TicketJson.Name(ticket.Priority)}");
        }

        if (rule.AccountIds is { Count: > 0 })
        {
            if (!rule.AccountIds.Contains(ticket.AccountId, StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }

            reasons.Add($"account {ticket.AccountId}");
        }

        if (rule.Channels is { Count: > 0 })
        {
            if (!rule.Channels.Contains(ticket.Channel))
            {
                return null;
            }

            reasons.Add($"channel {TicketJson.Name(ticket.Channel)}");
        }

        if (rule.Keywords is { Count: > 0 })
        {
            var keyword = rule.Keywords.FirstOrDefault(k => ContainsWord(ticket.Subject, k) || ContainsWord(ticket.Description, k));
            if (keyword is null)
            {
                return null;
            }

            reasons.Add($"keyword '{keyword}'");
        }

        return reasons.Count == 0 ? "catch-all" : string.Join(", ", reasons);
    }

    /// <summary>Whole-word, case-insensitive: "exchange" matches "Exchange down" but not "exchanged".</summary>
    internal static bool ContainsWord(string text, string word) =>
        Regex.IsMatch(text, $@"(?<![\p{{L}}\p{{N}}_]){Regex.Escape(word.Trim())}(?![\p{{L}}\p{{N}}_])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>
    /// For each warning or breach just reached, the first escalation rule that applies and has not fired on this ticket
    /// for that (rule, clock, kind) yet.
    /// </summary>
    public async Task<IReadOnlyList<EscalationDecision>> EscalationsAsync(
        string accountId, Priority priority, IReadOnlyList<SlaDeadline> reached, IReadOnlyCollection<string> alreadyFired, CancellationToken cancellationToken = default)
    {
        if (reached.Count == 0)
        {
            return [];
        }

        var rules = await store.GetRulesAsync<EscalationRule>(RoutingStore.EscalationRules, cancellationToken);
        var decisions = new List<EscalationDecision>();
        foreach (var deadline in reached)
        {
            var rule = rules.FirstOrDefault(r => r.Priorities.Contains(priority)
                && (r.AccountIds is not { Count: > 0 } || r.AccountIds.Contains(accountId, StringComparer.OrdinalIgnoreCase))
                && r.On.Contains(deadline.Kind)
                && (r.Clocks is not { Count: > 0 } || r.Clocks.Contains(deadline.Clock)));
            if (rule is null)
            {
                continue;
            }

            var key = $"{rule.Name}|{TicketJson.Name(deadline.Clock)}|{TicketJson.Name(deadline.Kind)}";
            if (alreadyFired.Contains(key) || decisions.Any(d => d.Key == key))
            {
                continue;
            }

            var what = deadline.Kind == SlaDeadlineKind.Breach ? "breach" : "warning";
            var clock = TicketJson.Name(deadline.Clock).Replace('-', ' ');
            decisions.Add(new EscalationDecision(key, rule.ToGroup,
                $"{what} of {clock} at {deadline.DueAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC, rule '{rule.Name}'"));
        }

        return decisions;
    }
}
