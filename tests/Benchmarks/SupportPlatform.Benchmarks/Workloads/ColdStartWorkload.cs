using System.Diagnostics;
using System.Globalization;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// "Cold start to ready": from starting the host process (`dotnet SupportPlatform.Host.dll`) to the first 200 from
/// /health/ready, on a database that already holds the seeded accounts and tickets (quick 100k, full 1M) and is fully
/// migrated. Each start is a new process with a new data folder; the previous one is stopped gracefully first, as an
/// upgrade or a restart by systemd would. One start is not counted (the operating system's file cache and the
/// database's buffers warm up, as on a server that restarts), then the median of the counted starts.
/// </summary>
internal sealed class ColdStartWorkload(int? tickets = null, int? accounts = null, int? starts = null, bool uncountedFirstStart = true) : IWorkload
{
    public const string WorkloadName = "cold start to ready";

    public string Name => "cold start";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var seeded = await SeededDatabase.GetAsync(context, accounts ?? context.Pick(1_000, 10_000), tickets ?? context.Pick(100_000, 1_000_000), cancellationToken);
        var count = starts ?? context.Pick(3, 5);
        var times = new List<double>();
        for (var i = uncountedFirstStart ? 0 : 1; i <= count; i++)
        {
            using var data = new TempDirectory("sp-bench-start-");
            var environment = HostProcess.Environment(data.Path, seeded.Database.ConnectionString);
            var clock = Stopwatch.StartNew();
            await using var host = HostProcess.Start(environment);
            await WaitReadyAsync(host, TimeSpan.FromSeconds(120), cancellationToken);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            if (i > 0)
            {
                times.Add(elapsed);
            }

            context.Log.WriteLine($"  start {i}{(i == 0 ? " (not counted)" : "")}: ready after {elapsed:0} ms");
            await host.StopAsync();
        }

        times.Sort();
        var median = times[times.Count / 2];
        return
        [
            new WorkloadResult($"{WorkloadName} ({Label(seeded)})", median, "ms", null, null, false, new Dictionary<string, string>
            {
                ["starts counted"] = times.Count.ToString(CultureInfo.InvariantCulture),
                ["min"] = times[0].ToString("0", CultureInfo.InvariantCulture) + " ms",
                ["max"] = times[^1].ToString("0", CultureInfo.InvariantCulture) + " ms",
                ["database"] = string.Create(CultureInfo.InvariantCulture, $"{seeded.Accounts:N0} accounts, {seeded.Tickets:N0} tickets (PostgreSQL)"),
            }, AbsoluteTarget: 15_000),
        ];
    }

    internal static string Label(SeededDatabase seeded) =>
        seeded.Tickets >= 1_000_000 ? $"{seeded.Tickets / 1_000_000}M tickets" : seeded.Tickets >= 1_000 ? $"{seeded.Tickets / 1_000}k tickets" : $"{seeded.Tickets} tickets";

    /// <summary>Polls /health/ready every 25 ms (the host's own helper polls every 200 ms, too coarse to time a start).</summary>
    private static async Task WaitReadyAsync(HostProcess host, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                using var response = await client.GetAsync("/health/ready", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (host.HasExited)
            {
                throw new InvalidOperationException($"host exited before it was ready:\n{host.Output}");
            }

            await Task.Delay(25, cancellationToken);
        }

        throw new TimeoutException($"host not ready after {timeout}:\n{host.Output}");
    }
}
