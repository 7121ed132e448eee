using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// Ticket intake through the REST API of a real host process on the benchmark's PostgreSQL: each 201 means the
/// ticket's row, its first event and its SLA deadlines are committed durably. Two phases: closed-loop throughput
/// (many clients as fast as they can), then an open-loop run at half that rate measuring acknowledgement latency
/// from each request's scheduled send time (so a stall is not hidden by clients waiting).
/// </summary>
internal sealed class TicketIntakeWorkload : IWorkload
{
    public const string Throughput = "ticket intake (REST API, durable)";
    public const string Latency = "ticket intake p99 ack at half rate";

    public string Name => "ticket intake";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var clients = context.Pick(32, 64);
        var duration = context.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, "bench_intake", cancellationToken);
        using var data = new TempDirectory("sp-bench-intake-");
        await using var host = HostProcess.Start(HostProcess.Environment(data.Path, database.ConnectionString));
        await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = host.BaseAddress };
        // Intake by an integration: a senior engineer's API token (a keyed-hash lookup per request, cached briefly).
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await host.Users.StaffTokenAsync("senior", "bench"));
        (await http.PutAsJsonAsync("/api/accounts/bench", new { name = "Bench Ltd", timeZone = "Europe/London" }, cancellationToken)).EnsureSuccessStatusCode();

        // Warm-up: JIT, connection pools, the account grain. Long enough for tiered compilation to finish: after 3 s a
        // CPU profile (perf) still showed a seventh of the host's CPU in the JIT and the hot path in quick-jitted and
        // instrumented code, which measured the first seconds of a process rather than a server that runs for weeks.
        await Run(http, clients, context.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15)), cancellationToken);
        var before = await CountTickets(database, cancellationToken);
        var cpuBefore = host.TotalProcessorTime;

        var (acknowledged, elapsed, failures) = await Run(http, clients, duration, cancellationToken);
        var hostCpu = host.TotalProcessorTime - cpuBefore;
        var stored = await CountTickets(database, cancellationToken) - before;
        if (stored != acknowledged)
        {
            throw new InvalidOperationException($"{acknowledged} tickets acknowledged with 201 but {stored} stored");
        }

        var rate = acknowledged / elapsed.TotalSeconds;
        var latencies = await OpenLoop(http, rate / 2, duration, cancellationToken);
        var p = (double q) => RawInsertBaseline.Percentile(latencies, q).ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        var throughputDetails = new Dictionary<string, string>
        {
            ["clients"] = clients.ToString(CultureInfo.InvariantCulture),
            ["duration"] = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
            ["tickets"] = acknowledged.ToString(CultureInfo.InvariantCulture),
            ["failed requests"] = failures.ToString(CultureInfo.InvariantCulture),
            ["stored = acknowledged"] = "yes",
            // CPU time is far less sensitive than throughput to other load on the machine: compare this between runs.
            ["host CPU per ticket"] = (hostCpu.TotalMilliseconds / Math.Max(acknowledged, 1)).ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        };
        var latencyDetails = new Dictionary<string, string>
        {
            ["rate"] = (rate / 2).ToString("0", CultureInfo.InvariantCulture) + " tickets/s (half the throughput)",
            ["requests"] = latencies.Length.ToString(CultureInfo.InvariantCulture),
            ["p50"] = p(0.50),
            ["p99"] = p(0.99),
            ["max"] = p(1.0),
        };
        return
        [
            new WorkloadResult(Throughput, rate, "tickets/s", RawInsertBaseline.WorkloadName, 0.5, true, throughputDetails),
            new WorkloadResult(Latency, RawInsertBaseline.Percentile(latencies, 0.99), "ms", null, null, false, latencyDetails, AbsoluteTarget: 1000),
        ];
    }

    private static async Task<(long Acknowledged, TimeSpan Elapsed, long Failures)> Run(HttpClient http, int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        long acknowledged = 0, failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async worker =>
        {
            for (var i = 0; clock.Elapsed < duration; i++)
            {
                using var response = await Create(http, $"w{worker}-{i}", cancellationToken);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    Interlocked.Increment(ref acknowledged);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        return (acknowledged, clock.Elapsed, failures);
    }

    private static async Task<double[]> OpenLoop(HttpClient http, double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1 / Math.Max(rate, 1));
        var count = (int)(duration / interval);
        var clock = Stopwatch.StartNew();
        var requests = new List<Task<double>>(count);
        for (var i = 0; i < count; i++)
        {
            var scheduled = interval * i;
            var wait = scheduled - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            requests.Add(Measure(i, scheduled));
        }

        return (await Task.WhenAll(requests)).Order().ToArray();

        async Task<double> Measure(int i, TimeSpan scheduled)
        {
            using var response = await Create(http, $"open-{i}", cancellationToken);
            response.EnsureSuccessStatusCode();
            return (clock.Elapsed - scheduled).TotalMilliseconds;
        }
    }

    private static Task<HttpResponseMessage> Create(HttpClient http, string tag, CancellationToken cancellationToken) =>
        http.PostAsJsonAsync("/api/tickets", new
        {
            accountId = "bench",
            requesterId = "bench-user",
            subject = "Benchmark ticket " + tag,
            description = "Generated by the intake benchmark.",
            priority = "normal",
        }, cancellationToken);

    private static async Task<long> CountTickets(BenchDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM sp_tickets", connection);
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }
}
