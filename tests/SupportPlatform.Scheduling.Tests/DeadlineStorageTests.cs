using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Data;
using SupportPlatform.Scheduling.Tests.Infrastructure;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;

namespace SupportPlatform.Scheduling.Tests;

/// <summary>The scheduler on both real back-ends: rows, the caller's transaction, and recovery after a crash.</summary>
public sealed class DeadlineStorageTests
{
    public static TheoryData<DatabaseProvider> Backends => new() { DatabaseProvider.PostgreSql, DatabaseProvider.Sqlite };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ScheduleAsync_NewDeadline_WritesItsRowAndDeliveryDeletesIt(DatabaseProvider provider)
    {
        var (settings, cleanup) = await TestDatabases.CreateAsync(provider, "sched_rows");
        using var _ = cleanup;
        await using var cluster = await SchedulerCluster.StartAsync(settings);
        var due = cluster.Clock.GetUtcNow() + TimeSpan.FromSeconds(3);
        var deadline = cluster.For("tickets/t-42/breach", due, "t-42") with { Kind = "sla.breach", Payload = "{\"policy\":\"gold\"}" };

        await cluster.Scheduler.ScheduleAsync(deadline);

        var row = Assert.Single(await ReadRowsAsync(cluster.Database));
        Assert.Equal(("tickets/t-42/breach", DeadlineShards.Of("tickets/t-42/breach", 4), due.ToUnixTimeMilliseconds(), deadline.Target.ToString(), "sla.breach", "{\"policy\":\"gold\"}"), row);

        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.WasDelivered(deadline.Id), TimeSpan.FromSeconds(5)));
        var fired = cluster.Log.All.Single().Fired;
        Assert.Equal(("sla.breach", "{\"policy\":\"gold\"}", due), (fired.Kind, fired.Payload, fired.DueAt));
        Assert.True(await SchedulerCluster.WaitAsync(() => ReadRowsAsync(cluster.Database).GetAwaiter().GetResult().Count == 0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task WriteAsync_CallerTransactionRolledBack_NothingScheduled(DatabaseProvider provider)
    {
        var (settings, cleanup) = await TestDatabases.CreateAsync(provider, "sched_rollback");
        using var _ = cleanup;
        await using var cluster = await SchedulerCluster.StartAsync(settings);
        await cluster.Scheduler.ScheduleAsync(cluster.For("existing", cluster.Clock.GetUtcNow() + TimeSpan.FromMinutes(10)));
        var deadline = cluster.For("rolled-back", cluster.Clock.GetUtcNow() + TimeSpan.FromSeconds(2));

        await using (var connection = await cluster.Database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await cluster.Scheduler.WriteAsync(transaction, [deadline], ["existing"]);
            Assert.Equal(["rolled-back"], (await ReadRowsAsync(connection, transaction)).Select(r => r.Id));
            await transaction.RollbackAsync();
        }

        // Even a (wrong) notification after the rollback finds no row to fire.
        await cluster.Scheduler.NotifyAsync([deadline]);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(5));

        Assert.Empty(cluster.Log.All);
        Assert.Equal(["existing"], (await ReadRowsAsync(cluster.Database)).Select(r => r.Id));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task WriteAsync_CallerTransactionCommitted_RowsAndCancelsApplyAtomically(DatabaseProvider provider)
    {
        var (settings, cleanup) = await TestDatabases.CreateAsync(provider, "sched_commit");
        using var _ = cleanup;
        await using var cluster = await SchedulerCluster.StartAsync(settings);
        var now = cluster.Clock.GetUtcNow();
        await cluster.Scheduler.ScheduleAsync([cluster.For("warning", now + TimeSpan.FromMinutes(45)), cluster.For("breach", now + TimeSpan.FromMinutes(60))]);

        // The ticket was paused and resumed: the warning moves, the breach is cancelled, a new one appears, in one transaction.
        var moved = cluster.For("warning", now + TimeSpan.FromSeconds(2));
        var added = cluster.For("breach-2", now + TimeSpan.FromSeconds(3));
        await using (var connection = await cluster.Database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await cluster.Scheduler.WriteAsync(transaction, [moved, added], ["breach"]);
            await transaction.CommitAsync();
        }

        await cluster.Scheduler.NotifyAsync([moved, added]);
        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.All.Count >= 2, TimeSpan.FromSeconds(5)));
        Assert.Equal(["warning", "breach-2"], cluster.Log.All.Select(d => d.Fired.Id));
        Assert.All(cluster.Log.All, d => Assert.InRange(d.ReceivedAt - d.Fired.DueAt, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.True(await SchedulerCluster.WaitAsync(() => ReadRowsAsync(cluster.Database).GetAwaiter().GetResult().Count == 0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Restart_AfterTheSiloWasKilled_DeliversEveryPendingDeadline(DatabaseProvider provider)
    {
        var (settings, cleanup) = await TestDatabases.CreateAsync(provider, "sched_crash");
        using var _ = cleanup;
        var clock = new FakeTimeProvider(SchedulerCluster.Epoch);
        var log = new DeliveryLog();
        var start = clock.GetUtcNow();
        var deadlines = new List<DeadlineRequest>();

        await using (var first = await SchedulerCluster.StartAsync(settings, clock, log))
        {
            deadlines.AddRange(Enumerable.Range(0, 200).Select(i => first.For($"crash-{i}", start + TimeSpan.FromMilliseconds(1000 + 100 * i), $"t-{i % 20}")));
            await first.Scheduler.ScheduleAsync(deadlines);
            // Some fire, then the only silo dies without a graceful shutdown: no deactivation, in-memory windows lost.
            await first.AdvanceAsync(TimeSpan.FromSeconds(5));
            Assert.NotEmpty(log.All);
            Assert.True(log.All.Count < deadlines.Count);
            await first.Cluster.KillSiloAsync(first.Cluster.Silos[0]);
        }

        var deliveredBeforeCrash = log.All.Count;
        clock.Advance(TimeSpan.FromMinutes(2)); // the node is down while the rest become due
        var (store, services) = SchedulerCluster.Store(settings);
        await using (services)
        {
            Assert.True(await CountAsync(store) >= deadlines.Count - deliveredBeforeCrash);
        }

        // A new silo on the same database: its start-up poke activates every shard, which fires all overdue rows at once.
        await using var second = await SchedulerCluster.StartAsync(settings, clock, log);
        Assert.True(
            await SchedulerCluster.WaitAsync(() => deadlines.All(d => log.WasDelivered(d.Id)), 20_000),
            $"missing after restart: {string.Join(", ", deadlines.Where(d => !log.WasDelivered(d.Id)).Select(d => d.Id).Take(10))}");
        Assert.True(await SchedulerCluster.WaitAsync(() => second.CountRowsAsync().GetAwaiter().GetResult() == 0));
        // Deadlines due before the crash were on time; the rest came at once after the restart, without the clock moving.
        Assert.All(log.All.Take(deliveredBeforeCrash), d => Assert.InRange(d.ReceivedAt - d.Fired.DueAt, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.All(log.All.Skip(deliveredBeforeCrash), d => Assert.Equal(clock.GetUtcNow(), d.ReceivedAt));
    }

    private static async Task<long> CountAsync(DeadlineStore store)
    {
        var total = 0L;
        for (var shard = 0; shard < store.ShardCount; shard++)
        {
            total += (await store.LoadDueTimesAsync(shard, long.MaxValue, CancellationToken.None)).Count;
        }

        return total;
    }

    private static async Task<List<(string Id, int Shard, long DueAtMs, string Target, string Kind, string Payload)>> ReadRowsAsync(IDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync();
        return await ReadRowsAsync(connection, null);
    }

    private static async Task<List<(string Id, int Shard, long DueAtMs, string Target, string Kind, string Payload)>> ReadRowsAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id, shard, due_at_ms, target, kind, payload FROM sp_deadlines ORDER BY id";
        var rows = new List<(string, int, long, string, string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)));
        }

        return rows;
    }
}
