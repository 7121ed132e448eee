using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// The live queue's fan-out: 1,000 SignalR clients (WebSockets, loopback, see <see cref="LightHubClient"/>) on a real host process, 50 ticket updates a
/// second through the REST API, latency from each change's commit (the <c>at</c> it carries, stamped right after the
/// ticket's transaction) to its receipt by each client. Two phases of equal length: without, then with one frozen
/// client (subscribed, then never reads again, still answering pings), to show the others do not notice it.
/// </summary>
internal sealed class LiveQueueWorkload : IWorkload
{
    public const string Plain = "live queue p99 change→client (1,000 clients)";
    public const string WithFrozen = "live queue p99 with a frozen client";
    private const int Clients = 1000;
    private const int UpdatesPerSecond = 50;
    private const int Tickets = 50;

    public string Name => "live queue";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var duration = context.Pick(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, "bench_live", cancellationToken);
        using var data = new TempDirectory("sp-bench-live-");
        await using var host = HostProcess.Start(HostProcess.Environment(data.Path, database.ConnectionString));
        await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        // One staff token for the REST driver and all the hub clients (the hub is staff only).
        var token = await host.Users.StaffTokenAsync("senior", "bench-live", "Bench Agent");
        using var http = host.Users.WithToken(token);
        (await http.PutAsJsonAsync("/api/accounts/bench", new { name = "Bench Ltd", timeZone = "Europe/London" }, cancellationToken)).EnsureSuccessStatusCode();
        var tickets = new long[Tickets];
        for (var i = 0; i < Tickets; i++)
        {
            var created = await http.PostAsJsonAsync("/api/tickets", new { accountId = "bench", requesterId = "bench-user", subject = $"Live queue ticket {i}", priority = "normal" }, cancellationToken);
            created.EnsureSuccessStatusCode();
            tickets[i] = (await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetInt64();
        }

        context.Log.WriteLine($"  connecting {Clients} SignalR clients...");
        var recorder = new Recorder();
        var clients = await ConnectAll(host.BaseAddress, token, recorder, cancellationToken);
        try
        {
            // Warm-up: JIT, pools, the hub grain. Long enough for tiered compilation to finish, as for ticket intake: after
            // 3 s a CPU profile (perf) of the host still showed 14% of its samples in the JIT during the measured phase.
            await Drive(http, tickets, context.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15)), cancellationToken);
            await Task.Delay(500, cancellationToken);

            var plain = await Phase(host, http, tickets, recorder, duration, cancellationToken);
            context.Log.WriteLine($"  without a frozen client: p50 {plain.P50:0.0} ms, p99 {plain.P99:0.0} ms, {plain.Missing} deliveries missing; CPU per change: host {plain.HostCpuPerChange:0.0} ms, harness {plain.ClientCpuPerChange:0.0} ms");

            using var frozen = await FrozenHubClient.ConnectAsync(host.BaseAddress, token);
            var withFrozen = await Phase(host, http, tickets, recorder, duration, cancellationToken);
            frozen.StopPinging();
            var frozenClosed = await frozen.WaitClosedAsync(TimeSpan.FromSeconds(5));
            context.Log.WriteLine($"  with a frozen client: p50 {withFrozen.P50:0.0} ms, p99 {withFrozen.P99:0.0} ms, {withFrozen.Missing} deliveries missing");

            return
            [
                new WorkloadResult(Plain, plain.P99, "ms", null, null, false, plain.Details(), AbsoluteTarget: 100),
                new WorkloadResult(WithFrozen, withFrozen.P99, "ms", null, null, false, new Dictionary<string, string>(withFrozen.Details())
                {
                    ["p99 ratio to no frozen client"] = (withFrozen.P99 / plain.P99).ToString("0.00", CultureInfo.InvariantCulture) + "x",
                    ["frozen client"] = $"never read after subscribing; {frozen.Drained / 1024.0:0} KiB were waiting for it at the end; "
                        + (frozenClosed ? "the server had disconnected it" : "still connected (its socket buffers had not filled, so it never held anyone up)"),
                }, AbsoluteTarget: 100),
            ];
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    private static async Task<PhaseResult> Phase(HostProcess host, HttpClient http, long[] tickets, Recorder recorder, TimeSpan duration, CancellationToken cancellationToken)
    {
        // CPU time per change, of the host and of this process (the 1,000 clients and the driver): unlike latency it
        // hardly moves when other work shares the machine, so it is the figure to compare between busy runs.
        var hostCpu = host.TotalProcessorTime;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        recorder.Start();
        var (sent, failed) = await Drive(http, tickets, duration, cancellationToken);
        // Let the last changes arrive.
        await Task.Delay(1000, cancellationToken);
        var latencies = recorder.Stop();
        hostCpu = host.TotalProcessorTime - hostCpu;
        clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpu;
        return new PhaseResult(latencies, sent, failed, (long)sent * Clients - latencies.Length,
            hostCpu.TotalMilliseconds / Math.Max(sent, 1), clientCpu.TotalMilliseconds / Math.Max(sent, 1));
    }

    /// <summary>Open loop: one internal note every 20 ms (50 a second), round-robin over the tickets, each its own request.</summary>
    private static async Task<(int Sent, int Failed)> Drive(HttpClient http, long[] tickets, TimeSpan duration, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1.0 / UpdatesPerSecond);
        var count = (int)(duration / interval);
        var clock = Stopwatch.StartNew();
        var requests = new List<Task<bool>>(count);
        for (var i = 0; i < count; i++)
        {
            var wait = interval * i - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            requests.Add(Update(tickets[i % tickets.Length], i));
        }

        var results = await Task.WhenAll(requests);
        return (results.Count(ok => ok), results.Count(ok => !ok));

        async Task<bool> Update(long ticket, int i)
        {
            using var response = await http.PostAsJsonAsync($"/api/tickets/{ticket}/comments", new { body = $"update {i}", visibility = "internal" }, cancellationToken);
            return response.IsSuccessStatusCode;
        }
    }

    private static async Task<List<LightHubClient>> ConnectAll(Uri baseAddress, string token, Recorder recorder, CancellationToken cancellationToken)
    {
        var connections = new LightHubClient[Clients];
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler());
        using var gate = new SemaphoreSlim(50);
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                connections[i] = await LightHubClient.ConnectAsync(baseAddress, token, invoker, recorder.Record, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. connections];
    }

    /// <summary>Receipt latencies of every client, lock-free into one preallocated array.</summary>
    private sealed class Recorder
    {
        private double[] samples = new double[4_000_000];
        private int count;
        private volatile bool recording;

        public void Start()
        {
            Interlocked.Exchange(ref count, 0);
            recording = true;
        }

        public double[] Stop()
        {
            recording = false;
            var n = Math.Min(Volatile.Read(ref count), samples.Length);
            var result = samples[..n];
            Array.Sort(result);
            return result;
        }

        public void Record(DateTimeOffset at)
        {
            var latency = (DateTimeOffset.UtcNow - at).TotalMilliseconds;
            if (!recording)
            {
                return;
            }

            var i = Interlocked.Increment(ref count) - 1;
            if (i < samples.Length)
            {
                samples[i] = latency;
            }
        }
    }

    private sealed record PhaseResult(double[] Latencies, int Sent, int Failed, long Missing, double HostCpuPerChange, double ClientCpuPerChange)
    {
        public double P50 => RawInsertBaseline.Percentile(Latencies, 0.50);

        public double P99 => RawInsertBaseline.Percentile(Latencies, 0.99);

        public Dictionary<string, string> Details()
        {
            string Ms(double v) => v.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
            return new Dictionary<string, string>
            {
                ["clients"] = Clients.ToString(CultureInfo.InvariantCulture),
                ["updates"] = $"{Sent} at {UpdatesPerSecond}/s through the REST API ({Failed} failed)",
                ["deliveries"] = Latencies.Length.ToString(CultureInfo.InvariantCulture) + $" ({Math.Max(Missing, 0)} missing)",
                ["p50"] = Ms(P50),
                ["p99"] = Ms(P99),
                ["max"] = Ms(Latencies.Length == 0 ? double.NaN : Latencies[^1]),
                ["host CPU per change"] = Ms(HostCpuPerChange),
                ["harness CPU per change (clients and driver)"] = Ms(ClientCpuPerChange),
            };
        }
    }
}
