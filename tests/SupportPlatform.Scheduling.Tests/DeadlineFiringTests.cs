using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Data;
using SupportPlatform.Scheduling.Tests.Infrastructure;
using SupportPlatform.Testing;

namespace SupportPlatform.Scheduling.Tests;

/// <summary>The scheduler on a fake clock (embedded SQLite as the table): timing, cancel, re-schedule, retries, windows.</summary>
public sealed class DeadlineFiringTests : IAsyncLifetime
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);
    private readonly (Storage.Contracts.DatabaseSettings Settings, IDisposable Folder) database = TestDatabases.CreateSqlite();
    private SchedulerCluster cluster = null!;

    private DateTimeOffset Now => cluster.Clock.GetUtcNow();

    public async Task InitializeAsync() => cluster = await SchedulerCluster.StartAsync(database.Settings);

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        database.Folder.Dispose();
    }

    [Fact]
    public async Task ScheduleAsync_DeadlinesInTheFuture_FireAtDueTimeInOrderNeverEarlyAndWithinOneSecond()
    {
        var start = Now;
        var offsets = new[] { 7.3, 2.0, 4.55, 9.9, 2.05, 2.25, 2.45, 4.7 };
        var deadlines = offsets.Select((o, i) => cluster.For($"d-{i}", start + TimeSpan.FromSeconds(o), $"t-{i}")).ToArray();
        await cluster.Scheduler.ScheduleAsync(deadlines);

        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1.9));
        Assert.Empty(cluster.Log.All);

        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.All.Count == offsets.Length, TimeSpan.FromSeconds(15)));
        var received = cluster.Log.All;
        foreach (var delivery in received)
        {
            var due = deadlines.Single(d => d.Id == delivery.Fired.Id).DueAt;
            Assert.Equal(due, delivery.Fired.DueAt);
            Assert.True(delivery.ReceivedAt >= due, $"{delivery.Fired.Id} arrived {due - delivery.ReceivedAt} early");
            Assert.True(delivery.ReceivedAt - due <= OneSecond, $"{delivery.Fired.Id} arrived {delivery.ReceivedAt - due} late");
            Assert.True(delivery.Fired.FiredAt >= due);
        }

        Assert.Equal(deadlines.OrderBy(d => d.DueAt).Select(d => d.Id), received.Select(d => d.Fired.Id));
        Assert.Equal(0, await cluster.CountRowsAsync());
    }

    [Fact]
    public async Task CancelAsync_BeforeDue_NeverFiresAndRemovesTheRow()
    {
        var keep = cluster.For("keep", Now + TimeSpan.FromSeconds(3));
        var drop = cluster.For("drop", Now + TimeSpan.FromSeconds(2), "t-2");
        await cluster.Scheduler.ScheduleAsync([keep, drop]);

        Assert.True(await cluster.Scheduler.CancelAsync("drop"));
        Assert.False(await cluster.Scheduler.CancelAsync("never-scheduled"));
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(5));

        Assert.True(cluster.Log.WasDelivered("keep"));
        Assert.False(cluster.Log.WasDelivered("drop"));
        Assert.Equal(0, await cluster.CountRowsAsync());
    }

    [Fact]
    public async Task ScheduleAsync_SameIdAgain_MovesTheDeadline()
    {
        var start = Now;
        await cluster.Scheduler.ScheduleAsync(cluster.For("moving", start + TimeSpan.FromSeconds(2)));
        await cluster.Scheduler.ScheduleAsync(cluster.For("moving", start + TimeSpan.FromSeconds(8)) with { Payload = "second" });

        await cluster.AdvanceAsync(TimeSpan.FromSeconds(7.5));
        Assert.Empty(cluster.Log.All);

        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.All.Count > 0, TimeSpan.FromSeconds(3)));
        var delivery = Assert.Single(cluster.Log.All);
        Assert.Equal("second", delivery.Fired.Payload);
        Assert.InRange(delivery.ReceivedAt - (start + TimeSpan.FromSeconds(8)), TimeSpan.Zero, OneSecond);

        // Moving it earlier works too (a new, earlier wake-up is armed).
        await cluster.Scheduler.ScheduleAsync(cluster.For("again", Now + TimeSpan.FromSeconds(30)));
        await cluster.Scheduler.ScheduleAsync(cluster.For("again", Now + TimeSpan.FromSeconds(1)));
        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.WasDelivered("again"), TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task ScheduleAsync_ManyDeadlinesAcrossShards_EveryOneFiresOnceWithinOneSecond()
    {
        var start = Now;
        var deadlines = Enumerable.Range(0, 400)
            .Select(i => cluster.For($"many-{i}", start + TimeSpan.FromMilliseconds(1000 + i * 15), $"t-{i % 50}"))
            .ToArray();
        Assert.Equal(4, deadlines.Select(d => DeadlineShards.Of(d.Id, 4)).Distinct().Count());
        await cluster.Scheduler.ScheduleAsync(deadlines);

        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.All.Count >= deadlines.Length, TimeSpan.FromSeconds(15)));
        var received = cluster.Log.All;
        Assert.Equal(deadlines.Select(d => d.Id).Order(), received.Select(d => d.Fired.Id).Order());
        Assert.All(received, d => Assert.InRange(d.ReceivedAt - d.Fired.DueAt, TimeSpan.Zero, OneSecond));
        Assert.Equal(0, await cluster.CountRowsAsync());
    }

    [Fact]
    public async Task OnDeadline_TargetThrows_RetriedWithBackoffUntilDelivered()
    {
        cluster.Log.FailuresToInject["flaky"] = 3;
        await cluster.Scheduler.ScheduleAsync(cluster.For("flaky", Now + OneSecond));

        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.WasDelivered("flaky"), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250)));
        var delivery = Assert.Single(cluster.Log.All);
        Assert.Equal(4, delivery.Fired.Attempt);
        Assert.Equal(4, cluster.Log.Started.Count(id => id == "flaky"));
        // Back-off 1 s, 2 s, 4 s after the first attempt: the fourth attempt starts about 7 s after the due time.
        Assert.InRange(delivery.ReceivedAt - delivery.Fired.DueAt, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(8.5));
        Assert.True(await SchedulerCluster.WaitAsync(() => cluster.CountRowsAsync().GetAwaiter().GetResult() == 0));
    }

    [Fact]
    public async Task OnDeadline_OneTargetHangs_OthersStillFireOnTime()
    {
        var release = new TaskCompletionSource();
        cluster.Log.Blockers["stuck"] = release.Task;
        var start = Now;
        var stuck = cluster.For("stuck", start + OneSecond, "slow");
        var others = Enumerable.Range(0, 20).Select(i => cluster.For($"other-{i}", start + TimeSpan.FromSeconds(1.5), $"fast-{i}")).ToArray();
        // Same shard as the stuck one or not, none may wait for it.
        await cluster.Scheduler.ScheduleAsync([stuck, .. others]);

        // No quiescing: the stuck delivery keeps its shard busy on purpose.
        Assert.True(await cluster.AdvanceUntilAsync(() => others.All(o => cluster.Log.WasDelivered(o.Id)), TimeSpan.FromSeconds(3), quiesce: false, realDelayMs: 60));
        Assert.Contains("stuck", cluster.Log.Started);
        Assert.False(cluster.Log.WasDelivered("stuck"));
        Assert.All(cluster.Log.All, d => Assert.InRange(d.ReceivedAt - d.Fired.DueAt, TimeSpan.Zero, OneSecond));

        // Not deleted while its target has not returned; deleted once it does.
        Assert.True(await SchedulerCluster.WaitAsync(() => cluster.CountRowsAsync().GetAwaiter().GetResult() == 1));
        await Task.Delay(200);
        Assert.Equal(1, await cluster.CountRowsAsync());
        release.SetResult();
        Assert.True(await SchedulerCluster.WaitAsync(() => cluster.Log.WasDelivered("stuck")));
        Assert.True(await SchedulerCluster.WaitAsync(() => cluster.CountRowsAsync().GetAwaiter().GetResult() == 0));
    }

    [Fact]
    public async Task Refresh_DeadlineBeyondTheLookAhead_LoadedWhenTheWindowReachesItAndFiresOnTime()
    {
        var due = Now + TimeSpan.FromMinutes(20);
        var deadline = cluster.For("far", due);
        await cluster.Scheduler.ScheduleAsync(deadline);
        var shard = DeadlineShards.Of("far", 4);
        Assert.Equal(0, (await cluster.Shard(shard)).InWindow);

        // In 30 s steps (the refresh interval) up to shortly before the due time: the window reaches it on the way.
        await cluster.AdvanceAsync(TimeSpan.FromMinutes(20) - TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        Assert.Equal(1, (await cluster.Shard(shard)).InWindow);
        Assert.Empty(cluster.Log.All);

        await cluster.AdvanceAsync(TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(1));
        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.WasDelivered("far"), TimeSpan.FromSeconds(3)));
        Assert.InRange(cluster.Log.All.Single().ReceivedAt - due, TimeSpan.Zero, OneSecond);
    }

    [Fact]
    public async Task SiloStart_EveryShard_ActiveWithExactlyOneKeepAliveReminder()
    {
        var reminders = cluster.Services.GetRequiredService<IReminderTable>();
        for (var shard = 0; shard < cluster.ShardCount; shard++)
        {
            // The start-up poke activated every shard without any deadline being scheduled.
            Assert.True(await SchedulerCluster.WaitAsync(() => reminders.ReadRows(ShardId(shard)).GetAwaiter().GetResult().Reminders.Count > 0));
            var rows = (await reminders.ReadRows(ShardId(shard))).Reminders;
            var reminder = Assert.Single(rows);
            Assert.Equal("keep-alive", reminder.ReminderName);
            Assert.True(reminder.Period >= TimeSpan.FromMinutes(1));
        }

        GrainId ShardId(int shard) => cluster.Cluster.Client.GetGrain<Grains.IDeadlineShardGrain>(shard).GetGrainId();
    }

    [Fact]
    public async Task WriteAsync_CommittedWithoutNotify_FoundByTheNextWindowRefresh()
    {
        var deadline = cluster.For("unannounced", Now + TimeSpan.FromSeconds(5));
        await using (var connection = await cluster.Database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await cluster.Scheduler.WriteAsync(transaction, [deadline], []);
            await transaction.CommitAsync();
        }

        // The notification is "lost": the shard does not know until its next window refresh (within 30 s).
        Assert.Equal(0, (await cluster.Shard(DeadlineShards.Of("unannounced", 4))).InWindow);
        Assert.True(await cluster.AdvanceUntilAsync(() => cluster.Log.WasDelivered("unannounced"), TimeSpan.FromSeconds(35), TimeSpan.FromSeconds(1)));
        var delivery = cluster.Log.All.Single();
        Assert.InRange(delivery.ReceivedAt - deadline.DueAt, TimeSpan.Zero, TimeSpan.FromSeconds(30));
    }
}
