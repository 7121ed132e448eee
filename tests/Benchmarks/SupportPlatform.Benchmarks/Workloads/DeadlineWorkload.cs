using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using SupportPlatform.Scheduling;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Data;
using SupportPlatform.Scheduling.Grains;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>A benchmark target: records how late each deadline arrived, on the real clock, at the target itself.</summary>
public interface IBenchDeadlineTarget : IDeadlineTarget, IGrainWithStringKey;

internal sealed class DeadlineRecorder
{
    public ConcurrentDictionary<string, byte> Ids { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<double> LatenessMs { get; } = new();

    public void Clear()
    {
        Ids.Clear();
        LatenessMs.Clear();
    }
}

internal sealed class BenchDeadlineTargetGrain(DeadlineRecorder recorder) : Grain, IBenchDeadlineTarget
{
    public Task OnDeadline(DeadlineFired fired)
    {
        // The benchmark's own clock is the system clock: arrival minus due time is the lateness a user would see.
        recorder.LatenessMs.Enqueue((TimeProvider.System.GetUtcNow() - fired.DueAt).TotalMilliseconds);
        recorder.Ids.TryAdd(fired.Id, 0);
        return Task.CompletedTask;
    }
}

/// <summary>
/// "SLA deadlines": N pending deadlines on one node (PostgreSQL, rows seeded with COPY, not through the API), then
/// <list type="number">
/// <item>memory per pending deadline: managed heap after full collections, with every pending deadline inside the
/// look-ahead window (the worst case: each is then held in memory), minus the same with an empty table;</item>
/// <item>lateness on the real clock: a set of deadlines scheduled through the API, due over the next seconds to a
/// minute, while the N others stay pending; measured at the target on arrival;</item>
/// <item>crash and restart: a set due over the next seconds, the silo stopped without a graceful shutdown halfway,
/// a new silo on the same database; every deadline must arrive. In-process (a second silo), not a kill -9 of a separate
/// process: the test suite kills a silo the same way (Orleans KillSiloAsync).</item>
/// </list>
/// </summary>
internal sealed class DeadlineWorkload : IWorkload
{
    private const string TargetPrefix = "b-";
    private const int Targets = 1_000;

    public string Name => "SLA deadlines";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var results = new List<WorkloadResult>();
        foreach (var pending in context.Pick<int[]>([100_000], [100_000, 1_000_000]))
        {
            results.AddRange(await RunSizeAsync(context, pending, cancellationToken));
        }

        return results;
    }

    private static async Task<IReadOnlyList<WorkloadResult>> RunSizeAsync(BenchContext context, int pending, CancellationToken cancellationToken)
    {
        var label = pending >= 1_000_000 ? $"{pending / 1_000_000}M" : $"{pending / 1_000}k";
        var name = $"SLA deadlines ({label} pending)";
        var probes = context.Pick(10_000, 30_000);
        var probeSpan = context.Pick(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
        var crashSet = context.Pick(10_000, 50_000);
        var log = context.Log;

        var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, $"bench_deadlines_{label.ToLowerInvariant()}", cancellationToken);
        var settings = new DatabaseSettings(DatabaseProvider.PostgreSql, database.ConnectionString);
        await using (var migrations = new ServiceCollection().AddSupportPlatformStorage(settings).BuildServiceProvider())
        {
            await migrations.GetRequiredService<IDatabaseMigrator>().MigrateAsync(cancellationToken);
        }

        var recorder = new DeadlineRecorder();
        var serviceId = "bench-deadlines-" + label.ToLowerInvariant();
        var silo = await StartSiloAsync(settings, serviceId, "bench-a", recorder, cancellationToken);
        var results = new List<WorkloadResult>();
        try
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var shardCount = silo.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DeadlineSchedulerOptions>>().Value.ShardCount;
            var target = grains.GetGrain<IBenchDeadlineTarget>(TargetPrefix + "0").GetGrainId().ToString()[..^1];

            // 1. Memory: idle host (every shard active, empty window) vs. N pending inside the window.
            await WaitForWindowAsync(grains, shardCount, 0, cancellationToken);
            // Let start-up garbage and caches settle, so that the idle figure is not inflated by transient start-up state.
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
            var heapIdle = ManagedHeapAfterFullGc();
            var workingSetIdle = WorkingSetAfterFullGc();
            var now = DateTimeOffset.UtcNow;
            Func<int, DateTimeOffset> pendingDue = i => now + TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(i % 3_600_000);
            var seedClock = Stopwatch.StartNew();
            await SeedAsync(database, "p-", pending, pendingDue, target, shardCount, cancellationToken);
            var seedSeconds = seedClock.Elapsed.TotalSeconds;
            await WaitForWindowAsync(grains, shardCount, pending, cancellationToken);
            var workingSetLoaded = WorkingSetAfterFullGc();

            // Heap with every pending deadline in the window minus the same warm host once the rows are deleted and every
            // window emptied again; three rounds, the median: a single pair moves by a few MB of unrelated pool and cache
            // churn, which is as much as 100k deadlines weigh.
            var deltas = new List<long>();
            var heaps = new List<string>();
            for (var round = 0; round < 3; round++)
            {
                if (round > 0)
                {
                    await SeedAsync(database, "p-", pending, pendingDue, target, shardCount, cancellationToken);
                    await WaitForWindowAsync(grains, shardCount, pending, cancellationToken);
                }

                var heapLoaded = ManagedHeapAfterFullGc();
                await ExecuteAsync(database, "DELETE FROM sp_deadlines WHERE id LIKE 'p-%'", cancellationToken);
                await WaitForWindowAsync(grains, shardCount, 0, cancellationToken);
                var heapEmptied = ManagedHeapAfterFullGc();
                deltas.Add(heapLoaded - heapEmptied);
                heaps.Add($"{Mb(heapLoaded)} - {Mb(heapEmptied)}");
            }

            var bytesPerDeadline = (double)deltas.Order().ElementAt(1) / pending;
            log.WriteLine($"  {name}: seeded {pending:N0} rows in {seedSeconds:0.0} s (COPY); heap idle {Mb(heapIdle)}; loaded - emptied: {string.Join(", ", heaps)}; {bytesPerDeadline:0.0} B per deadline");
            await SeedAsync(database, "p-", pending, pendingDue, target, shardCount, cancellationToken);
            await WaitForWindowAsync(grains, shardCount, pending, cancellationToken);
            results.Add(new WorkloadResult(
                $"{name}: memory per pending deadline",
                bytesPerDeadline,
                "B",
                null,
                null,
                false,
                new Dictionary<string, string>
                {
                    ["managed heap idle"] = Mb(heapIdle),
                    ["managed heap loaded - emptied, 3 rounds"] = string.Join(", ", heaps),
                    ["working set idle / loaded (after full GC)"] = $"{Mb(workingSetIdle)} / {Mb(workingSetLoaded)}",
                    ["working set per deadline"] = ((double)(workingSetLoaded - workingSetIdle) / pending).ToString("0.0", CultureInfo.InvariantCulture) + " B",
                    ["method"] = "GC.GetTotalMemory(true) after 3 full compacting collections: all N due inside the look-ahead window (the worst case; rows beyond the window cost no memory) minus the same host after the rows were deleted and every window emptied, median of 3 rounds; working set is the whole process, first load vs idle",
                    ["seed (COPY)"] = $"{seedSeconds:0.0} s",
                },
                AbsoluteTarget: 1024));

            // 2. Lateness on the real clock, with the N deadlines still pending (and in memory).
            recorder.Clear();
            var scheduler = silo.Services.GetRequiredService<IDeadlineScheduler>();
            var first = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
            var requests = Enumerable.Range(0, probes)
                .Select(i => new DeadlineRequest(
                    $"l-{i}",
                    first + probeSpan * i / probes,
                    GrainId.Parse(target + (i % Targets).ToString(CultureInfo.InvariantCulture)),
                    "bench.lateness"))
                .ToArray();
            var scheduleClock = Stopwatch.StartNew();
            foreach (var batch in requests.Chunk(500))
            {
                await scheduler.ScheduleAsync(batch, cancellationToken);
            }

            var scheduleRate = probes / scheduleClock.Elapsed.TotalSeconds;
            if (DateTimeOffset.UtcNow > first)
            {
                log.WriteLine($"  warning: scheduling took {scheduleClock.Elapsed.TotalSeconds:0.0} s, past the first due time");
            }

            await WaitUntilAsync(() => recorder.Ids.Count >= probes, first + probeSpan + TimeSpan.FromSeconds(30), cancellationToken);
            var lateness = recorder.LatenessMs.Order().ToArray();
            var delivered = recorder.Ids.Count;
            var p50 = RawInsertBaseline.Percentile(lateness, 0.50);
            var p99 = RawInsertBaseline.Percentile(lateness, 0.99);
            var max = lateness.Length == 0 ? double.NaN : lateness[^1];
            var early = lateness.Count(l => l < 0);
            log.WriteLine($"  {name}: {delivered:N0}/{probes:N0} delivered, lateness p50 {p50:0.0} ms, p99 {p99:0.0} ms, max {max:0.0} ms, early {early}");
            results.Add(new WorkloadResult(
                $"{name}: lateness p99",
                delivered == probes && early == 0 ? p99 : double.PositiveInfinity,
                "ms",
                null,
                null,
                false,
                new Dictionary<string, string>
                {
                    ["p50"] = Ms(p50),
                    ["p99"] = Ms(p99),
                    ["max"] = Ms(max),
                    ["delivered"] = $"{delivered:N0} of {probes:N0} (each at least once)",
                    ["early"] = early.ToString(CultureInfo.InvariantCulture),
                    ["load"] = $"{probes:N0} deadlines due over {probeSpan.TotalSeconds:0} s ({probes / probeSpan.TotalSeconds:0}/s) to {Targets:N0} target grains, scheduled through IDeadlineScheduler in batches of 500 at {scheduleRate:N0}/s, with {pending:N0} others pending in memory",
                    ["measured"] = "at the target on arrival, system clock, ms resolution of the stored due time",
                },
                AbsoluteTarget: 1000));

            // 3. Crash and restart: a set due over the next 10 s, the silo dropped halfway, a new silo on the same database.
            recorder.Clear();
            var crashStart = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
            Func<int, DateTimeOffset> crashDue = i => crashStart + TimeSpan.FromMilliseconds(10_000.0 * i / crashSet);
            await SeedAsync(database, "c-", crashSet, crashDue, target, shardCount, cancellationToken);
            // Rows written outside the API: announce them (a caller's NotifyAsync after its own commit) so they arm at once.
            await scheduler.NotifyAsync(
                Enumerable.Range(0, crashSet).Select(i => new DeadlineRequest($"c-{i}", crashDue(i), GrainId.Parse(target + "0"), "bench")).ToArray(),
                cancellationToken);
            await WaitUntilAsync(() => false, crashStart + TimeSpan.FromSeconds(5), cancellationToken);
            var beforeCrash = recorder.Ids.Count;
            await CrashAsync(silo);
            silo = null!;
            var afterCrashRows = await CountAsync(database, "c-%", cancellationToken);
            await WaitUntilAsync(() => false, crashStart + TimeSpan.FromSeconds(12), cancellationToken);

            var restartClock = Stopwatch.StartNew();
            silo = await StartSiloAsync(settings, serviceId, "bench-b", recorder, cancellationToken);
            await WaitUntilAsync(() => recorder.Ids.Count(k => k.Key.StartsWith("c-", StringComparison.Ordinal)) >= crashSet, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(120), cancellationToken);
            var recovered = restartClock.Elapsed.TotalSeconds;
            var missing = Enumerable.Range(0, crashSet).Count(i => !recorder.Ids.ContainsKey($"c-{i}"));
            await WaitUntilAsync(() => CountAsync(database, "c-%", CancellationToken.None).GetAwaiter().GetResult() == 0, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30), cancellationToken);
            var rowsLeft = await CountAsync(database, "c-%", cancellationToken);
            log.WriteLine($"  {name}: crash set {crashSet:N0}, {beforeCrash:N0} delivered before the crash, {afterCrashRows:N0} rows left, after restart missing {missing}, rows left {rowsLeft}, {recovered:0.0} s from restart");
            results.Add(new WorkloadResult(
                $"{name}: deadlines lost across crash + restart",
                missing + rowsLeft,
                "deadlines",
                null,
                null,
                false,
                new Dictionary<string, string>
                {
                    ["set"] = $"{crashSet:N0} due over 10 s (COPY), {pending:N0} others pending",
                    ["delivered before the crash"] = beforeCrash.ToString("N0", CultureInfo.InvariantCulture),
                    ["rows pending at the crash"] = afterCrashRows.ToString("N0", CultureInfo.InvariantCulture),
                    ["all delivered after restart in"] = $"{recovered:0.0} s (silo start included)",
                    ["crash"] = "in-process silo stopped with a cancelled token (no graceful shutdown), a new silo (new cluster id, same service id and database) started after every deadline was overdue; not a kill -9 of a separate process",
                },
                AbsoluteTarget: 0));
        }
        finally
        {
            if (silo is not null)
            {
                await silo.StopAsync(CancellationToken.None);
                silo.Dispose();
            }
        }

        return results;
    }

    private static async Task<IHost> StartSiloAsync(DatabaseSettings settings, string serviceId, string clusterId, DeadlineRecorder recorder, CancellationToken cancellationToken)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(recorder);
        builder.Services.AddSupportPlatformStorage(settings);
        // The worst case for memory: a look-ahead long enough that every pending deadline is held in memory.
        builder.Services.AddScheduling(configure: options =>
        {
            options.LookAhead = TimeSpan.FromHours(3);
            options.RefreshInterval = TimeSpan.FromSeconds(15);
        });
        var cluster = new ClusterSettings(clusterId, serviceId, FreePort(), FreePort(), IPAddress.Loopback);
        builder.UseOrleans(silo => silo.UseSupportPlatformStorage(settings, cluster));
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    private static async Task CrashAsync(IHost host)
    {
        // A cancelled token: Orleans skips the graceful part of the shutdown (no deactivation, no hand-over).
        try
        {
            await host.StopAsync(new CancellationToken(canceled: true));
        }
        catch (OperationCanceledException)
        {
        }

        host.Dispose();
    }

    private static async Task SeedAsync(BenchDatabase database, string prefix, int count, Func<int, DateTimeOffset> due, string target, int shardCount, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY sp_deadlines (id, shard, due_at_ms, target, kind, payload, created_at_ms) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            await WriteRowsAsync(copy);
            await copy.CompleteAsync(cancellationToken);
        }

        await using var analyze = new NpgsqlCommand("ANALYZE sp_deadlines", connection);
        await analyze.ExecuteNonQueryAsync(cancellationToken);

        async Task WriteRowsAsync(NpgsqlBinaryImporter copy)
        {
            for (var i = 0; i < count; i++)
            {
                var id = prefix + i.ToString(CultureInfo.InvariantCulture);
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(DeadlineShards.Of(id, shardCount), NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(due(i).ToUnixTimeMilliseconds(), NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(target + (i % Targets).ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync("bench", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(string.Empty, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(created, NpgsqlDbType.Bigint, cancellationToken);
            }
        }
    }

    private static async Task WaitForWindowAsync(IGrainFactory grains, int shardCount, int expected, CancellationToken cancellationToken)
    {
        var until = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            var statuses = await Task.WhenAll(Enumerable.Range(0, shardCount).Select(s => grains.GetGrain<IDeadlineShardGrain>(s).GetStatus()));
            var inWindow = statuses.Sum(s => s.InWindow);
            if (inWindow == expected)
            {
                return;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new InvalidOperationException($"the shards hold {inWindow:N0} due times, expected {expected:N0}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, DateTimeOffset until, CancellationToken cancellationToken)
    {
        while (!condition() && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task ExecuteAsync(BenchDatabase database, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> CountAsync(BenchDatabase database, string idPattern, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM sp_deadlines WHERE id LIKE $1", connection);
        count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = idPattern });
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    private static long ManagedHeapAfterFullGc()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long WorkingSetAfterFullGc()
    {
        ManagedHeapAfterFullGc();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
}
