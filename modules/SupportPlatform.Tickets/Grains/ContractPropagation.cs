using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Persistence;

namespace SupportPlatform.Tickets.Grains;

/// <summary>
/// When an account's contract terms change, schedules (in the account's own transaction) a durable job that applies
/// them to the account's tickets that are not closed. The deadline scheduler runs it at once, retries it until it
/// succeeds, and runs it again after a crash, so a contract change can never be half-applied.
/// </summary>
internal sealed class AccountContractObserver(IDeadlineScheduler scheduler, IGrainFactory grains, TimeProvider clock) : IAccountObserver
{
    public const string Kind = "tickets.contract";

    public async Task OnAccountChangedAsync(AccountView? before, AccountView after, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (before is null || TicketJson.Same(before.Contract, after.Contract))
        {
            return;
        }

        var job = new DeadlineRequest($"contract:{after.Id}", clock.GetUtcNow(), grains.GetGrain<IContractPropagationGrain>(after.Id).GetGrainId(), Kind,
            after.Version.ToString(CultureInfo.InvariantCulture));
        await scheduler.WriteAsync(transaction, [job], [], cancellationToken);

        // Best effort once the account's transaction has committed; without it the shard finds the job at its next refresh.
        _ = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300), CancellationToken.None);
            await scheduler.NotifyAsync([job], CancellationToken.None);
        }, CancellationToken.None);
    }
}

/// <summary>Applies an account's current contract to its tickets that are not closed (key: the account id).</summary>
internal interface IContractPropagationGrain : IGrainWithStringKey, IDeadlineTarget;

internal sealed class ContractPropagationGrain(IDatabase database, ILogger<ContractPropagationGrain> logger) : Grain, IContractPropagationGrain
{
    private const int InParallel = 32;

    public async Task OnDeadline(DeadlineFired fired)
    {
        var accountId = this.GetPrimaryKeyString();
        if (await GrainFactory.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId)).Get() is not { } account)
        {
            return;
        }

        List<long> ids;
        await using (var connection = await database.OpenConnectionAsync())
        {
            ids = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT id FROM sp_tickets WHERE account_id = @accountId AND status <> 'closed' AND merged_into IS NULL ORDER BY id",
                new { accountId }))).ToList();
        }

        // The account's current terms, not the version that scheduled the job: a later change is included, and each
        // ticket skips a version it has already applied, so a repeated or overtaken job does no harm.
        var command = new ApplyContract { AccountVersion = account.Version, Contract = account.Contract };
        foreach (var chunk in ids.Chunk(InParallel))
        {
            await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<ITicketGrain>(id).ApplyContract(command)));
        }

        logger.LogInformation("Applied the contract of account {Account} (version {Version}) to {Count} ticket(s)", accountId, account.Version, ids.Count);
    }
}
