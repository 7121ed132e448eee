using SupportPlatform.Core;

namespace SupportPlatform.Email.Inbound;

/// <summary>Settings under <c>SupportPlatform:Email:Inbound</c>.</summary>
internal sealed class InboundOptions
{
    public const string SectionName = "SupportPlatform:Email:Inbound";

    /// <summary>The largest message imported whole (default 25 MiB); larger ones are quarantined and the sender told.</summary>
    public long MaxMessageBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>Automatic answers (acknowledgements, rejections) per sender address within <see cref="AutoReplyWindow"/>.</summary>
    public int AutoReplyLimit { get; set; } = 5;

    public TimeSpan AutoReplyWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Priority and type rules, first match wins. With none configured, one default rule gives "high" priority and type
    /// "incident" to mail whose subject or new text says down, outage, urgent, emergency or critical.
    /// </summary>
    public List<InboundRule> Rules { get; set; } = [];

    public IReadOnlyList<InboundRule> EffectiveRules => Rules.Count > 0
        ? Rules
        : [new InboundRule { Keywords = ["down", "outage", "urgent", "emergency", "critical"], Priority = Priority.High, Type = "incident" }];
}

/// <summary>
/// One rule: all the conditions it names must hold (keywords: any of them as a word in the subject or new text; senders:
/// the address, or "@domain", or "*" ; accounts: the matched account). It sets the priority and/or type.
/// </summary>
internal sealed class InboundRule
{
    public List<string> Keywords { get; set; } = [];

    public List<string> Senders { get; set; } = [];

    public List<string> Accounts { get; set; } = [];

    public Priority? Priority { get; set; }

    public string? Type { get; set; }

    public bool Matches(string sender, string? accountId, string text)
    {
        if (Keywords.Count == 0 && Senders.Count == 0 && Accounts.Count == 0)
        {
            return false;
        }

        if (Senders.Count > 0 && !Senders.Any(s => s == "*"
                || string.Equals(s, sender, StringComparison.OrdinalIgnoreCase)
                || (s.StartsWith('@') && sender.EndsWith(s, StringComparison.OrdinalIgnoreCase))))
        {
            return false;
        }

        if (Accounts.Count > 0 && (accountId is null || !Accounts.Contains(accountId, StringComparer.Ordinal)))
        {
            return false;
        }

        return Keywords.Count == 0 || Keywords.Any(k => System.Text.RegularExpressions.Regex.IsMatch(
            text, $@"(?<![\p{{L}}\p{{N}}]){System.Text.RegularExpressions.Regex.Escape(k)}(?![\p{{L}}\p{{N}}])",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1)));
    }
}

/// <summary>Checks <see cref="InboundOptions"/> at start; each failure names the key.</summary>
internal sealed class InboundOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<InboundOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, InboundOptions options)
    {
        const string Prefix = InboundOptions.SectionName + ":";
        var errors = new List<string>();
        if (options.MaxMessageBytes < 1024)
        {
            errors.Add($"{Prefix}MaxMessageBytes: {options.MaxMessageBytes} is too small; use at least 1024 (bytes).");
        }

        if (options.AutoReplyLimit < 0)
        {
            errors.Add($"{Prefix}AutoReplyLimit: cannot be negative (0 turns automatic answers off).");
        }

        if (options.AutoReplyWindow <= TimeSpan.Zero)
        {
            errors.Add($"{Prefix}AutoReplyWindow: must be a positive time span such as 01:00:00.");
        }

        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            if (rule.Keywords.Count == 0 && rule.Senders.Count == 0 && rule.Accounts.Count == 0)
            {
                errors.Add($"{Prefix}Rules:{i}: names no Keywords, Senders or Accounts, so it would never match.");
            }

            if (rule.Priority is null && rule.Type is null)
            {
                errors.Add($"{Prefix}Rules:{i}: sets neither Priority nor Type.");
            }
        }

        return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
    }
}
