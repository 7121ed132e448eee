using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Accounts.Contracts;

/// <summary>
/// The terms of a client's support contract that the platform enforces. Everything has a default, so an account
/// created with a name alone runs on the reference contract.
/// </summary>
[GenerateSerializer, Immutable, Alias("sp.accounts.contract")]
public sealed record ContractTerms
{
    /// <summary>Response and resolution targets per priority (default: <see cref="SlaPolicy.Reference"/>).</summary>
    [Id(0)] public required SlaPolicy SlaPolicy { get; init; }

    /// <summary>When the MSP's support hours run for this client (IANA time zone, weekly hours, holidays).</summary>
    [Id(1)] public required BusinessCalendar Calendar { get; init; }

    /// <summary>A client reply within this time after resolution reopens the ticket; later, a linked follow-up opens (default 7 days).</summary>
    [Id(2)] public TimeSpan ReopenWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>A resolved ticket closes after this quiet period (default 3 days).</summary>
    [Id(3)] public TimeSpan CloseAfter { get; init; } = TimeSpan.FromDays(3);

    [Id(4)] private PhoneTerms? phone;

    /// <summary>Phone support: monthly allowance, rounding, overage rate, numbers, voicemail targets (default: <see cref="PhoneTerms.Reference"/>).</summary>
    public PhoneTerms Phone
    {
        // Accounts stored before phone terms existed read as the reference terms.
        get => phone ?? PhoneTerms.Reference;
        init => phone = value;
    }

    /// <summary>The reference contract in <paramref name="timeZoneId"/>: weekdays 09:00–17:00, the reference SLA policy.</summary>
    public static ContractTerms Reference(string timeZoneId) => new()
    {
        SlaPolicy = SlaPolicy.Reference,
        Calendar = BusinessCalendar.Weekdays(timeZoneId, new TimeOnly(9, 0), new TimeOnly(17, 0)),
    };
}

/// <summary>A client account as staff see it.</summary>
[GenerateSerializer, Immutable, Alias("sp.accounts.view")]
public sealed record AccountView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public required string TimeZone { get; init; }
    [Id(3)] public required ContractTerms Contract { get; init; }
    [Id(4)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(5)] public required DateTimeOffset UpdatedAt { get; init; }
    [Id(6)] public required long Version { get; init; }

    /// <summary>Mail domains of the client (lower case, e.g. "client.example"): mail from these domains, or their subdomains, belongs to this account.</summary>
    [Id(7)] public IReadOnlyList<string> EmailDomains { get; init; } = [];
}

/// <summary>Creates or updates an account. A null contract keeps the current one (the reference contract for a new account).</summary>
[GenerateSerializer, Immutable, Alias("sp.accounts.define")]
public sealed record DefineAccount
{
    [Id(0)] public required string Name { get; init; }

    /// <summary>IANA time zone id, e.g. "Europe/London"; the default calendar and billing periods use it.</summary>
    [Id(1)] public required string TimeZone { get; init; }

    [Id(2)] public ContractTerms? Contract { get; init; }

    /// <summary>The client's mail domains (e.g. "client.example"); null keeps the current ones. A domain belongs to one account only.</summary>
    [Id(3)] public IReadOnlyList<string>? EmailDomains { get; init; }
}

/// <summary>One client account (key: "a-" + the account id). The source of its contract terms.</summary>
[Alias("sp.accounts.account-grain")]
public interface IClientAccountGrain : IGrainWithStringKey
{
    /// <summary>Creates or updates the account. Throws <see cref="AccountRuleException"/> listing every invalid value.</summary>
    [Alias("define")]
    Task<AccountView> Define(DefineAccount definition);

    /// <summary>The account, or null when it does not exist.</summary>
    [Alias("get")]
    Task<AccountView?> Get();

    /// <summary>
    /// Counts support time against the allowance of the billing period in which it started (a call that runs past the
    /// period's end counts wholly in the period it started in). Idempotent per <see cref="RecordUsage.UsageId"/>. Time
    /// beyond the allowance becomes billable lines; reaching 80% and 100% tells the <see cref="IAllowanceObserver"/>s,
    /// once per period. Throws <see cref="AccountRuleException"/> when the account does not exist.
    /// </summary>
    [Alias("record-usage")]
    Task<UsageResult> RecordUsage(RecordUsage usage);

    /// <summary>The balance of the billing period holding <paramref name="at"/> (now when null).</summary>
    [Alias("balance")]
    Task<AllowanceBalance?> GetBalance(DateTimeOffset? at);

    /// <summary>Every period with recorded usage, newest first; past ones are closed.</summary>
    [Alias("periods")]
    Task<IReadOnlyList<AllowanceBalance>> GetPeriods();
}

/// <summary>Grain keys of accounts.</summary>
public static class AccountKeys
{
    /// <summary>Account ids: 1–64 lowercase letters, digits and '-', starting with a letter or digit.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 64 } && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>The grain key of account <paramref name="id"/> ("a-" keeps Orleans from reading a hex-looking id as a number).</summary>
    public static string Grain(string id) => "a-" + id;
}

/// <summary>Invalid account data; <see cref="Problems"/> lists each problem as a sentence.</summary>
[GenerateSerializer, Alias("sp.accounts.rule-exception")]
public sealed class AccountRuleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AccountRuleException(IReadOnlyList<string> problems) : base(string.Join(" ", problems)) => Problems = problems;

    /// <summary>Every problem found.</summary>
    [Id(0)] public IReadOnlyList<string> Problems { get; }
}

/// <summary>
/// Told of every stored change to a client account, inside the transaction that stores it, so that what an observer
/// writes (e.g. a durable job to re-apply a changed contract to open tickets) exists exactly when the change does.
/// Throwing rolls the change back. The previous state is null for a new account.
/// </summary>
public interface IAccountObserver
{
    /// <summary>Handles one change of an account, writing only through <paramref name="transaction"/>.</summary>
    Task OnAccountChangedAsync(AccountView? before, AccountView after, System.Data.Common.DbTransaction transaction, CancellationToken cancellationToken);
}


/// <summary>Finds the client account a mail domain belongs to. Registered by the accounts module.</summary>
public interface IAccountDirectory
{
    /// <summary>
    /// The account whose <see cref="AccountView.EmailDomains"/> contain <paramref name="domain"/> or one of its parent
    /// domains (the longest match wins), or null.
    /// </summary>
    Task<string?> FindByEmailDomainAsync(string domain, CancellationToken cancellationToken = default);
}

/// <summary>Email domain names as accounts store them.</summary>
public static class EmailDomains
{
    /// <summary>The lower-case form of <paramref name="domain"/>, or null when it is not a domain name with at least two labels.</summary>
    public static string? Normalize(string? domain)
    {
        var d = domain?.Trim().TrimEnd('.').ToLowerInvariant();
        if (d is not { Length: > 2 and <= 253 } || !d.Contains('.', StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var label in d.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-'
                || !label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return null;
            }
        }

        return d;
    }
}
