using System.Data.Common;
using Dapper;
using SupportPlatform.Core;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Notifications.Escalation;

/// <summary>Escalation policies (<c>sp_escalation_policies</c>); '' stands for "every" account or priority.</summary>
internal sealed class PolicyStore(IDatabase database, TimeProvider clock)
{
    public static async Task<EscalationPolicy?> FindAsync(DbConnection connection, DbTransaction? transaction, string accountId, Priority priority, EscalationTrigger trigger, CancellationToken cancellationToken)
    {
        var rows = (await connection.QueryAsync<(string Account, string Priority, string Definition)>(new CommandDefinition(
            "SELECT account_id, priority, definition FROM sp_escalation_policies WHERE account_id IN (@accountId, '') AND priority IN (@priority, '')",
            new { accountId, priority = NotificationJson.Kebab(priority) }, transaction, cancellationToken: cancellationToken))).ToList();
        return rows
            .OrderByDescending(r => (r.Account.Length > 0 ? 2 : 0) + (r.Priority.Length > 0 ? 1 : 0))
            .Select(r => NotificationJson.Read<EscalationPolicy>(r.Definition))
            .FirstOrDefault(p => p.Triggers is null || p.Triggers.Count == 0 || p.Triggers.Contains(trigger));
    }

    public async Task<IReadOnlyList<EscalationPolicy>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return [.. (await connection.QueryAsync<string>(new CommandDefinition("SELECT definition FROM sp_escalation_policies ORDER BY id", cancellationToken: cancellationToken)))
            .Select(NotificationJson.Read<EscalationPolicy>)];
    }

    /// <summary>Stores a policy; false when another policy already covers the same account and priority.</summary>
    public async Task<bool> PutAsync(EscalationPolicy policy, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO sp_escalation_policies (id, account_id, priority, definition, updated_at_ms) VALUES (@id, @account, @priority, @definition, @now)
                ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, priority = excluded.priority, definition = excluded.definition, updated_at_ms = excluded.updated_at_ms
                """,
                new
                {
                    id = policy.Id, account = policy.AccountId ?? "", priority = policy.Priority is { } p ? NotificationJson.Kebab(p) : "",
                    definition = NotificationJson.Write(policy), now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                },
                cancellationToken: cancellationToken));
            return true;
        }
        catch (DbException ex) when (database.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sp_escalation_policies WHERE id = @id", new { id }, cancellationToken: cancellationToken)) > 0;
    }
}
