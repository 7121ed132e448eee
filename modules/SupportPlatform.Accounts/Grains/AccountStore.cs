using Dapper;
using Orleans.Serialization;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Accounts.Grains;

/// <summary>The account's row: list columns plus the grain's state, written together with a version check.</summary>
internal sealed class AccountStore(IDatabase database, Serializer<AccountView> serializer) : IAccountDirectory
{
    public async Task<AccountView?> LoadAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var state = await connection.QuerySingleOrDefaultAsync<byte[]>(
            new CommandDefinition("SELECT state FROM sp_accounts WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return state is null ? null : serializer.Deserialize(state);
    }

    /// <summary>Stores <paramref name="account"/> if the stored version is still <paramref name="expectedVersion"/> (0: must not exist).</summary>
    public async Task<bool> SaveAsync(
        AccountView account,
        long expectedVersion,
        Func<System.Data.Common.DbTransaction, Task>? inTransaction = null,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = new
        {
            id = account.Id,
            name = account.Name,
            time_zone = account.TimeZone,
            created_at_ms = account.CreatedAt.ToUnixTimeMilliseconds(),
            updated_at_ms = account.UpdatedAt.ToUnixTimeMilliseconds(),
            version = account.Version,
            expected = expectedVersion,
            state = serializer.SerializeToArray(account),
        };
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            expectedVersion == 0
                ? """
                  INSERT INTO sp_accounts (id, name, time_zone, created_at_ms, updated_at_ms, version, state)
                  VALUES (@id, @name, @time_zone, @created_at_ms, @updated_at_ms, @version, @state)
                  ON CONFLICT (id) DO NOTHING
                  """
                : """
                  UPDATE sp_accounts SET name = @name, time_zone = @time_zone, updated_at_ms = @updated_at_ms, version = @version, state = @state
                  WHERE id = @id AND version = @expected
                  """,
            row,
            transaction,
            cancellationToken: cancellationToken));
        if (changed != 1)
        {
            return false;
        }

        if (inTransaction is not null)
        {
            await inTransaction(transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Which of <paramref name="domains"/> belong to another account.</summary>
    public async Task<IReadOnlyList<(string Domain, string AccountId)>> DomainsOfOtherAccountsAsync(string id, IReadOnlyList<string> domains, CancellationToken cancellationToken = default)
    {
        if (domains.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, string)>(new CommandDefinition(
            $"SELECT domain, account_id FROM sp_account_email_domains WHERE account_id <> @id AND domain {database.InList("domains")}",
            new { id, domains = domains.ToArray() }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Replaces the account's domains (the unique key refuses a domain another account took meanwhile).</summary>
    public static async Task SaveDomainsAsync(System.Data.Common.DbTransaction transaction, string id, IReadOnlyList<string> domains)
    {
        var connection = transaction.Connection!;
        await connection.ExecuteAsync("DELETE FROM sp_account_email_domains WHERE account_id = @id", new { id }, transaction);
        foreach (var domain in domains)
        {
            await connection.ExecuteAsync("INSERT INTO sp_account_email_domains (domain, account_id) VALUES (@domain, @id)", new { domain, id }, transaction);
        }
    }

    /// <summary>The account of <paramref name="domain"/> or of its nearest parent domain.</summary>
    public async Task<string?> FindByEmailDomainAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (EmailDomains.Normalize(domain) is not { } normal)
        {
            return null;
        }

        var candidates = new List<string>();
        for (var d = normal; d.Contains('.', StringComparison.Ordinal); d = d[(d.IndexOf('.', StringComparison.Ordinal) + 1)..])
        {
            candidates.Add(d);
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(string, string)>(new CommandDefinition(
            $"SELECT domain, account_id FROM sp_account_email_domains WHERE domain {database.InList("candidates")}",
            new { candidates = candidates.ToArray() }, cancellationToken: cancellationToken))).ToList();
        return rows.OrderByDescending(r => r.Item1.Length).Select(r => r.Item2).FirstOrDefault();
    }

    public async Task<IReadOnlyList<AccountSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AccountSummary>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, time_zone AS TimeZone FROM sp_accounts ORDER BY name, id", cancellationToken: cancellationToken));
        return rows.ToList();
    }
}

/// <summary>An account in a list.</summary>
internal sealed class AccountSummary
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string TimeZone { get; set; } = "";
}
