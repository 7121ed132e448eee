using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Sla.Contracts;

namespace SupportPlatform.Accounts.Grains;

internal sealed class ClientAccountGrain(AccountStore store, TimeProvider clock, IEnumerable<IAccountObserver> observers) : Grain, IClientAccountGrain
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
}
