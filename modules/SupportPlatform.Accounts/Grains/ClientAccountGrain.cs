using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Accounts.Grains;

internal sealed class ClientAccountGrain(AccountStore store, AllowanceStore allowance, TimeProvider clock, IEnumerable<IAccountObserver> observers) : Grain, IClientAccountGrain
{
    private readonly IAccountObserver[] observers = [.. observers];

    private AccountView? account;

    private string Id => this.GetPrimaryKeyString()["a-".Length..];

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        account = await store.LoadAsync(Id, cancellationToken);

    public async Task<AccountView> Define(DefineAccount definition)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(definition.Name) || definition.Name.Trim().Length > 200)
        {
            problems.Add("The account needs a name of 1 to 200 characters.");
        }

        // The SLA calendar's own time-zone database decides what an IANA id is, so both always agree.
        if (string.IsNullOrWhiteSpace(definition.TimeZone) || BusinessCalendar.TwentyFourSeven(definition.TimeZone).Validate().Count > 0)
        {
            problems.Add($"'{definition.TimeZone}' is not an IANA time zone id; use one such as 'Europe/London' or 'America/New_York'.");
        }

        var contract = definition.Contract ?? account?.Contract;
        if (contract is null && problems.Count == 0)
        {
            contract = ContractTerms.Reference(definition.TimeZone!);
        }

        if (contract is not null)
        {
            problems.AddRange(contract.SlaPolicy.Validate().Select(p => "SLA policy: " + p));
            problems.AddRange(contract.Calendar.Validate().Select(p => "Calendar: " + p));
            problems.AddRange(contract.Phone.Validate().Select(p => "Phone: " + p));
            if (contract.ReopenWindow < TimeSpan.Zero || contract.CloseAfter < TimeSpan.Zero)
            {
                problems.Add("The reopen window and the close-after period cannot be negative.");
            }
        }

        var domains = new List<string>();
        foreach (var domain in definition.EmailDomains ?? account?.EmailDomains ?? [])
        {
            if (EmailDomains.Normalize(domain) is { } normal)
            {
                if (!domains.Contains(normal, StringComparer.Ordinal))
                {
                    domains.Add(normal);
                }
            }
            else
            {
                problems.Add($"Email domain '{domain}' is not a domain name such as 'client.example'.");
            }
        }

        if (problems.Count > 0)
        {
            throw new AccountRuleException(problems);
        }

        var now = clock.GetUtcNow();
        var next = new AccountView
        {
            Id = Id,
            Name = definition.Name.Trim(),
            TimeZone = definition.TimeZone!,
            Contract = contract!,
            CreatedAt = account?.CreatedAt ?? now,
            UpdatedAt = now,
            Version = (account?.Version ?? 0) + 1,
            EmailDomains = domains,
        };
        var before = account;
        var taken = await store.DomainsOfOtherAccountsAsync(Id, domains);
        if (taken.Count > 0)
        {
            throw new AccountRuleException([.. taken.Select(t => $"Email domain '{t.Domain}' already belongs to account '{t.AccountId}'.")]);
        }

        if (!await store.SaveAsync(next, account?.Version ?? 0, async transaction =>
            {
                await AllowanceStore.WriteNumbersAsync(transaction, next);
                await AccountStore.SaveDomainsAsync(transaction, Id, domains);
                foreach (var observer in observers)
                {
                    await observer.OnAccountChangedAsync(before, next, transaction, CancellationToken.None);
                }
            }))
        {
            account = await store.LoadAsync(Id);
            throw new AccountRuleException([$"Account {Id} was changed at the same time; reload it and try again."]);
        }

        account = next;
        return next;
    }

    public Task<AccountView?> Get() => Task.FromResult(account);

    public async Task<UsageResult> RecordUsage(RecordUsage usage)
    {
        var current = account ?? throw new AccountRuleException([$"Account '{Id}' does not exist."]);
        if (string.IsNullOrWhiteSpace(usage.UsageId) || usage.UsageId.Length > 200)
        {
            throw new AccountRuleException(["A usage needs an id of 1 to 200 characters (e.g. the call's id)."]);
        }

        if (usage.Duration < TimeSpan.Zero || usage.Duration > TimeSpan.FromHours(24))
        {
            throw new AccountRuleException(["A usage lasts 0 to 24 hours."]);
        }

        return await allowance.RecordAsync(current, usage, clock.GetUtcNow());
    }

    public async Task<AllowanceBalance?> GetBalance(DateTimeOffset? at)
    {
        if (account is null)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var instant = at ?? now;
        return await allowance.BalanceAsync(Id, BillingPeriods.For(account.TimeZone, instant).Label, now)
            ?? AllowanceStore.Empty(account, instant, now);
    }

    public async Task<IReadOnlyList<AllowanceBalance>> GetPeriods() =>
        account is null ? [] : await allowance.PeriodsAsync(Id, clock.GetUtcNow());
}
