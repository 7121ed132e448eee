using System.Net.Mail;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Routing;

/// <summary>Checks of what admins send; each problem is keyed by the field it is about ("rules[2].group"), in the user's words.</summary>
internal static class RoutingValidation
{
    public const int MaxName = 100;
    public const int MaxLabel = 50;
    public const int MaxItems = 50;
    public const int MaxRules = 200;

    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 64 } && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or '_');

    public const string IdRule = "An id is 1 to 64 lowercase letters, digits, '-', '.' or '_', starting with a letter or digit, e.g. 'carol' or 'j.smith'.";

    public static Dictionary<string, string[]> Agent(string id, Agent agent)
    {
        var errors = new Errors();
        errors.If(!IsValidId(id), "id", IdRule);
        errors.If(string.IsNullOrWhiteSpace(agent.DisplayName) || agent.DisplayName.Trim().Length > 200, "displayName", "Give a display name of 1 to 200 characters.");
        Labels(errors, "groups", agent.Groups, "group", required: true);
        Labels(errors, "skills", agent.Skills, "skill", required: false);
        return errors.All;
    }

    public static Dictionary<string, string[]> Vendor(string id, Vendor vendor)
    {
        var errors = new Errors();
        errors.If(!IsValidId(id), "id", IdRule);
        errors.If(string.IsNullOrWhiteSpace(vendor.Name) || vendor.Name.Trim().Length > 200, "name", "Give the vendor's name (1 to 200 characters).");
        errors.If(!IsEmail(vendor.ContactEmail), "contactEmail",
            $"'{vendor.ContactEmail}' is not an email address; give the vendor's support address, e.g. 'support@vendor.example'.");
        errors.If(vendor.Notes is { Length: > 10_000 }, "notes", "Notes are at most 10000 characters.");
        return errors.All;
    }

    public static Dictionary<string, string[]> RoutingRules(IReadOnlyList<RoutingRule>? rules) =>
        RuleList(rules, "Send the ordered list of rules (an empty list removes them all).", rule => rule.Name, (errors, field, rule) =>
        {
            errors.If(!IsLabel(rule.Group), $"{field}.group", $"Give the target group (1 to {MaxLabel} characters), e.g. 'L1'.");
            errors.If(rule.RequiredSkill is not null && !IsLabel(rule.RequiredSkill), $"{field}.requiredSkill",
                $"A required skill is 1 to {MaxLabel} characters; leave it out to accept any agent of the group.");
            errors.If(!Enum.IsDefined(rule.Strategy), $"{field}.strategy", "The strategy is least-loaded or round-robin.");
            Labels(errors, $"{field}.types", rule.Types, "type", required: false);
            Labels(errors, $"{field}.accountIds", rule.AccountIds, "account id", required: false);
            errors.If(rule.Priorities?.Any(p => !Enum.IsDefined(p)) == true, $"{field}.priorities", "Priorities are critical, high, normal or low.");
            errors.If(rule.Channels?.Any(c => !Enum.IsDefined(c)) == true, $"{field}.channels", "Unknown channel.");
            if (rule.Keywords is { } keywords)
            {
                errors.If(keywords.Count > MaxItems, $"{field}.keywords", $"At most {MaxItems} keywords.");
                foreach (var keyword in keywords)
                {
                    errors.If(string.IsNullOrWhiteSpace(keyword) || keyword.Trim().Length > MaxLabel || !keyword.Any(char.IsLetterOrDigit),
                        $"{field}.keywords",
                        $"'{keyword}' is not a usable keyword: keywords are whole words or phrases of 1 to {MaxLabel} characters with at least one letter or digit (not regular expressions).");
                }
            }
        });

    public static Dictionary<string, string[]> EscalationRules(IReadOnlyList<EscalationRule>? rules) =>
        RuleList(rules, "Send the ordered list of escalation rules (an empty list removes them all).", rule => rule.Name, (errors, field, rule) =>
        {
            errors.If(!IsLabel(rule.ToGroup), $"{field}.toGroup", $"Give the group to escalate to (1 to {MaxLabel} characters), e.g. 'L2'.");
            errors.If(rule.Priorities is not { Count: > 0 } || rule.Priorities.Any(p => !Enum.IsDefined(p)), $"{field}.priorities",
                "Give the priorities the rule applies to: one or more of critical, high, normal, low.");
            errors.If(rule.On is not { Count: > 0 } || rule.On.Any(k => !Enum.IsDefined(k)), $"{field}.on",
                "Say which SLA events trigger the rule: warning, breach or both.");
            errors.If(rule.Clocks?.Any(c => !Enum.IsDefined(c)) == true, $"{field}.clocks", "Clocks are first-response, next-response or resolution.");
            Labels(errors, $"{field}.accountIds", rule.AccountIds, "account id", required: false);
        });

    /// <summary>The checks both ordered rule lists share (present, not too long, no null entry, unique names), then each rule's own.</summary>
    private static Dictionary<string, string[]> RuleList<T>(IReadOnlyList<T>? rules, string missing, Func<T, string> name, Action<Errors, string, T> check)
        where T : class
    {
        var errors = new Errors();
        if (rules is null)
        {
            errors.Add("rules", missing);
            return errors.All;
        }

        errors.If(rules.Count > MaxRules, "rules", $"At most {MaxRules} rules.");
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rules.Count; i++)
        {
            var field = $"rules[{i}]";
            if (rules[i] is not { } rule)
            {
                errors.Add(field, "A rule cannot be null.");
                continue;
            }

            Name(errors, field, name(rule), names);
            check(errors, field, rule);
        }

        return errors.All;
    }

    public static Agent Clean(string id, Agent agent) => agent with
    {
        Id = id,
        DisplayName = agent.DisplayName.Trim(),
        Groups = agent.Groups.Select(g => g.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
        Skills = (agent.Skills ?? []).Select(s => s.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
    };

    public static RoutingRule Clean(RoutingRule rule) => rule with
    {
        Name = rule.Name.Trim(),
        Group = rule.Group.Trim(),
        RequiredSkill = string.IsNullOrWhiteSpace(rule.RequiredSkill) ? null : rule.RequiredSkill.Trim(),
        Types = rule.Types?.Select(t => t.Trim()).ToList() ?? [],
        AccountIds = rule.AccountIds?.Select(t => t.Trim()).ToList() ?? [],
        Keywords = rule.Keywords?.Select(t => t.Trim()).ToList() ?? [],
        Priorities = rule.Priorities ?? [],
        Channels = rule.Channels ?? [],
    };

    public static EscalationRule Clean(EscalationRule rule) => rule with
    {
        Name = rule.Name.Trim(),
        ToGroup = rule.ToGroup.Trim(),
        AccountIds = rule.AccountIds?.Select(t => t.Trim()).ToList() ?? [],
        Clocks = rule.Clocks ?? [],
    };

    private static void Name(Errors errors, string field, string? name, HashSet<string> names)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaxName)
        {
            errors.Add($"{field}.name", $"Give the rule a name of 1 to {MaxName} characters.");
        }
        else if (!names.Add(name.Trim()))
        {
            errors.Add($"{field}.name", $"Another rule is already named '{name.Trim()}'; rule names must be unique.");
        }
    }

    private static void Labels(Errors errors, string field, IReadOnlyList<string>? values, string what, bool required)
    {
        if (values is not { Count: > 0 })
        {
            errors.If(required, field, $"Give at least one {what}.");
            return;
        }

        errors.If(values.Count > MaxItems, field, $"At most {MaxItems} of them.");
        foreach (var value in values)
        {
            errors.If(!IsLabel(value), field, $"'{value}' is not a usable {what}: 1 to {MaxLabel} characters, not blank.");
        }
    }

    private static bool IsLabel(string? value) => !string.IsNullOrWhiteSpace(value) && value.Trim().Length <= MaxLabel;

    private static bool IsEmail(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= 254 && MailAddress.TryCreate(value.Trim(), out var address)
        && address.Address == value.Trim() && address.Host.Contains('.', StringComparison.Ordinal);

    private sealed class Errors
    {
        private readonly Dictionary<string, List<string>> errors = [];

        public Dictionary<string, string[]> All => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

        public void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        public void If(bool condition, string field, string message)
        {
            if (condition)
            {
                Add(field, message);
            }
        }
    }
}
