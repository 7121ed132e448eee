using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// The baseline every other figure is compared with: durable single-row INSERTs, each its own transaction with
/// synchronous commit on, from several connections at once, against the PostgreSQL server in use. This is the most
/// a durable write path can hope for on this machine and disk; a workload's ratio to it says how much of that the
/// product keeps.
/// </summary>
internal sealed class RawInsertBaseline : IWorkload
{
    public const string WorkloadName = "raw durable insert (PostgreSQL)";

    public string Name => WorkloadName;

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var connections = context.Pick(8, 16);
        var duration = context.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, "bench_baseline", cancellationToken);

        await using (var setup = await database.OpenAsync(cancellationToken))
        {
            await Execute(setup, "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, worker int NOT NULL, at_ms bigint NOT NULL, payload text NOT NULL)", cancellationToken);
        }

        var settings = await ServerSettings(database, cancellationToken);
        if (settings["fsync"] != "on" || settings["synchronous_commit"] != "on")
        {
            throw new InvalidOperationException(
                $"the server is not durable (fsync={settings["fsync"]}, synchronous_commit={settings["synchronous_commit"]}); the baseline needs both on");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        stop.CancelAfter(duration);
        var latencies = new List<double>[connections];
        var workers = Enumerable.Range(0, connections).Select(async worker =>
        {
            var mine = latencies[worker] = new List<double>(100_000);
            await using var connection = await database.OpenAsync(cancellationToken);
            await Execute(connection, "SET synchronous_commit = on", cancellationToken);
            await using var insert = new NpgsqlCommand("INSERT INTO bench_insert (worker, at_ms, payload) VALUES ($1, $2, $3)", connection);
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = worker });
            insert.Parameters.Add(new NpgsqlParameter<long>());
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = new string('x', 200) });
            await insert.PrepareAsync(cancellationToken);
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                ((NpgsqlParameter<long>)insert.Parameters[1]).TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await insert.ExecuteNonQueryAsync(CancellationToken.None);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;

        long stored;
        await using (var check = await database.OpenAsync(cancellationToken))
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM bench_insert", check))
        {
            stored = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        var all = latencies.SelectMany(l => l).Order().ToArray();
        if (all.Length != stored)
        {
            throw new InvalidOperationException($"{all.Length} inserts acknowledged but {stored} rows stored");
        }

        var details = new Dictionary<string, string>
        {
            ["connections"] = connections.ToString(CultureInfo.InvariantCulture),
            ["duration"] = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
            ["rows"] = stored.ToString(CultureInfo.InvariantCulture),
            ["p50"] = Percentile(all, 0.50).ToString("0.00", CultureInfo.InvariantCulture) + " ms",
            ["p99"] = Percentile(all, 0.99).ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        };
        foreach (var (key, value) in settings)
        {
            details[key] = value;
        }

        return [new WorkloadResult(Name, stored / elapsed.TotalSeconds, "rows/s", null, null, true, details)];
    }

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static async Task<Dictionary<string, string>> ServerSettings(BenchDatabase database, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>();
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var name in new[] { "server_version", "fsync", "synchronous_commit", "wal_sync_method" })
        {
            await using var show = new NpgsqlCommand("SHOW " + name, connection);
            settings[name] = (string)(await show.ExecuteScalarAsync(cancellationToken))!;
        }

        return settings;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>A fresh database per workload on the benchmark server.</summary>
internal sealed class BenchDatabase(NpgsqlDataSource dataSource)
{
    public string ConnectionString => dataSource.ConnectionString;

    public static async Task<BenchDatabase> CreateAsync(string admin, string name, CancellationToken cancellationToken)
    {
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(cancellationToken);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 200 };
        return new BenchDatabase(NpgsqlDataSource.Create(builder.ConnectionString));
    }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => dataSource.OpenConnectionAsync(cancellationToken);
}
