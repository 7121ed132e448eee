using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Data;
using SupportPlatform.Scheduling.Grains;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;

namespace SupportPlatform.Scheduling.Tests.Infrastructure;

/// <summary>
/// A one-silo in-process cluster running the scheduling module on a real database (SQLite or PostgreSQL) and on a
/// shared fake clock (ORLEANS.md §3: background areas pinned to the system clock, grain timers on the fake one).
/// </summary>
internal sealed class SchedulerCluster : IAsyncDisposable
{
    public static readonly DateTimeOffset Epoch = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private SchedulerCluster(InProcessTestCluster cluster, FakeTimeProvider clock, DeliveryLog log, DatabaseSettings settings)
    {
        Cluster = cluster;
        Clock = clock;
        Log = log;
        Settings = settings;
    }

    public InProcessTestCluster Cluster { get; }

    public FakeTimeProvider Clock { get; }

    public DeliveryLog Log { get; }

    public DatabaseSettings Settings { get; }

    public IServiceProvider Services => Cluster.GetSiloServiceProvider(Cluster.Silos[0].SiloAddress);

    public IDeadlineScheduler Scheduler => Services.GetRequiredService<IDeadlineScheduler>();

    public IDatabase Database => Services.GetRequiredService<IDatabase>();

    public static void Defaults(DeadlineSchedulerOptions options)
    {
        options.ShardCount = 4;
        options.LookAhead = TimeSpan.FromMinutes(5);
        options.RefreshInterval = TimeSpan.FromSeconds(30);
        options.MaxConcurrentDeliveriesPerShard = 8;
    }

    public static async Task MigrateAsync(DatabaseSettings settings)
    {
        await using var services = new ServiceCollection().AddSupportPlatformStorage(settings).BuildServiceProvider();
        await services.GetRequiredService<IDatabaseMigrator>().MigrateAsync();
    }

    /// <summary>A store on <paramref name="settings"/> outside any silo, to write or inspect rows directly.</summary>
    public static (DeadlineStore Store, ServiceProvider Services) Store(DatabaseSettings settings, Action<DeadlineSchedulerOptions>? configure = null)
    {
        var options = new DeadlineSchedulerOptions();
        Defaults(options);
        configure?.Invoke(options);
        var services = new ServiceCollection().AddSupportPlatformStorage(settings).BuildServiceProvider();
        return (new DeadlineStore(services.GetRequiredService<IDatabase>(), Options.Create(options)), services);
    }

    public static async Task<SchedulerCluster> StartAsync(
        DatabaseSettings settings, FakeTimeProvider? clock = null, DeliveryLog? log = null, Action<DeadlineSchedulerOptions>? configure = null)
    {
        await MigrateAsync(settings);
        clock ??= new FakeTimeProvider(Epoch);
        log ??= new DeliveryLog();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Services.AddSingleton<TimeProvider>(clock);
            host.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            host.Services.AddSupportPlatformStorage(settings);
            host.Services.AddScheduling(configure: options =>
            {
                Defaults(options);
                configure?.Invoke(options);
            });
            host.Services.AddSingleton(log);
        });
        builder.ConfigureSilo((_, silo) => silo.UseInMemoryReminderService());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new SchedulerCluster(cluster, clock, log, settings);
    }

    public DeadlineRequest For(string id, DateTimeOffset dueAt, string target = "t-1") =>
        new(id, dueAt, Cluster.Client.GetGrain<IRecordingTarget>(target).GetGrainId(), "test", "");

    public Task<ShardStatus> Shard(int shard) => Cluster.Client.GetGrain<IDeadlineShardGrain>(shard).GetStatus();

    /// <summary>
    /// Moves the fake clock forward by <paramref name="span"/> in steps of <paramref name="step"/>, letting real time pass
    /// after each step (timer callbacks and database reads run asynchronously).
    /// </summary>
    public async Task AdvanceAsync(TimeSpan span, TimeSpan? step = null, int realDelayMs = 5, bool quiesce = true)
    {
        var size = step ?? TimeSpan.FromMilliseconds(100);
        var end = Clock.GetUtcNow() + span;
        while (Clock.GetUtcNow() < end)
        {
            var remaining = end - Clock.GetUtcNow();
            Clock.Advance(remaining < size ? remaining : size);
            await Task.Delay(realDelayMs);
            if (quiesce)
            {
                await QuiesceAsync();
            }
        }
    }

    /// <summary>
    /// Waits in real time until no shard has work due at the fake now (timer due, deliveries or deletes in flight), so
    /// that fake-clock lateness measures the scheduler's logic, not how fast this machine runs the callbacks.
    /// </summary>
    public async Task QuiesceAsync(int timeoutMs = 5_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < until)
        {
            var statuses = await Task.WhenAll(Enumerable.Range(0, ShardCount).Select(Shard));
            if (!statuses.Any(s => s.Busy))
            {
                return;
            }

            await Task.Delay(5);
        }

        var last = await Task.WhenAll(Enumerable.Range(0, ShardCount).Select(Shard));
        throw new TimeoutException($"shards still busy at {Clock.GetUtcNow().ToUnixTimeMilliseconds()}: {string.Join("; ", last.Select(s => s.ToString()))}");
    }

    public int ShardCount => Services.GetRequiredService<IOptions<DeadlineSchedulerOptions>>().Value.ShardCount;

    /// <summary>Steps the clock until <paramref name="condition"/> holds, for at most <paramref name="maxFake"/> of fake time.</summary>
    public async Task<bool> AdvanceUntilAsync(Func<bool> condition, TimeSpan maxFake, TimeSpan? step = null, bool quiesce = true, int realDelayMs = 5)
    {
        var size = step ?? TimeSpan.FromMilliseconds(100);
        var end = Clock.GetUtcNow() + maxFake;
        while (!condition() && Clock.GetUtcNow() < end)
        {
            Clock.Advance(size);
            await Task.Delay(realDelayMs);
            if (quiesce)
            {
                await QuiesceAsync();
            }
        }

        return condition();
    }

    /// <summary>Waits in real time (no clock movement) until <paramref name="condition"/> holds.</summary>
    public static async Task<bool> WaitAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        return condition();
    }

    public async Task<long> CountRowsAsync()
    {
        await using var connection = await Database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sp_deadlines";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
