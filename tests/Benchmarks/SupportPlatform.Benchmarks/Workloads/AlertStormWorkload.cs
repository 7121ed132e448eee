using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// An alert storm through the Alertmanager plugin's webhook of a real host process on the benchmark's PostgreSQL:
/// 10,000 distinct alerts (firings and resolutions) over many systems, delivered in Alertmanager-style groups by many
/// senders at once, with whole deliveries retried and alerts repeated in later deliveries, as Alertmanager does. Each
/// 200 means every alert of the delivery is committed. Figures: distinct alerts accepted per second (against the raw
/// insert baseline), delivery p99, and duplicate tickets (tickets beyond one per incident), which must be zero.
/// </summary>
internal sealed class AlertStormWorkload : IWorkload
{
    public const string Throughput = "alert storm (Alertmanager webhook, durable)";
    public const string Latency = "alert storm webhook p99";
    public const string Duplicates = "alert storm duplicate tickets";
    private const string Token = "bench-alertmanager-token-0123456789";
    private const int PerDelivery = 20;
    private const int Checks = 5;

    public string Name => "alert storm";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var systems = context.Pick(200, 1000);
        var alerts = 10_000;
        var senders = context.Pick(16, 32);
        var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, "bench_alerts", cancellationToken);
        using var data = new TempDirectory("sp-bench-alerts-");
        InstallPlugin(data.Path);
        var environment = HostProcess.Environment(data.Path, database.ConnectionString);
        environment["Plugins__alertmanager__bearerToken"] = Token;
        await using var host = HostProcess.Start(environment);
        await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var api = new HttpClient { BaseAddress = host.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await host.Users.StaffTokenAsync("senior", "bench"));
        (await api.PutAsJsonAsync("/api/accounts/storm", new { name = "Storm Ltd", timeZone = "Europe/London" }, cancellationToken)).EnsureSuccessStatusCode();
        const int warmSystems = 20;
        for (var s = 0; s < systems + warmSystems; s++)
        {
            (await api.PutAsJsonAsync($"/api/monitoring/systems/sys-{s}", new { accountId = "storm", hostNames = new[] { $"storm-{s}" } }, cancellationToken)).EnsureSuccessStatusCode();
        }

        using var hooks = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = senders * 2 }) { BaseAddress = host.BaseAddress };
        hooks.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        // Warm-up on systems of its own: JIT, pools, grain activation paths. Long enough for tiered compilation to finish
        // (as for ticket intake and the live queue): with 200 alerts, a storm of a few seconds measured mostly the JIT.
        var warm = Generate(warmSystems, context.Pick(3_000, 5_000), seed: 7, offset: systems);
        await Deliver(hooks, Deliveries(warm, new Random(8)), senders, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var before = await Count(database, "SELECT count(*) FROM sp_monitor_alerts", cancellationToken);
        var cpuBefore = host.TotalProcessorTime;

        var storm = Generate(systems, alerts, seed: 42, offset: 0);
        var deliveries = Deliveries(storm, new Random(43));
        var clock = Stopwatch.StartNew();
        var (latencies, failures) = await Deliver(hooks, deliveries, senders, cancellationToken);
        var elapsed = clock.Elapsed;
        var hostCpu = host.TotalProcessorTime - cpuBefore;
        var stored = await Count(database, "SELECT count(*) FROM sp_monitor_alerts", cancellationToken) - before;
        if (stored != alerts)
        {
            throw new InvalidOperationException($"{alerts} distinct alerts delivered (every delivery answered 200) but {stored} stored");
        }

        // Tickets are opened right after the commit that opens their incident; give the last ones a moment.
        long incidents = 0, tickets = 0, distinctTickets = 0;
        var wait = Stopwatch.StartNew();
        do
        {
            await Task.Delay(500, cancellationToken);
            incidents = await Count(database, "SELECT count(*) FROM sp_monitor_incidents", cancellationToken);
            distinctTickets = await Count(database, "SELECT count(DISTINCT ticket_id) FROM sp_monitor_incidents", cancellationToken);
            tickets = await Count(database, "SELECT count(*) FROM sp_tickets WHERE channel = 'monitoring'", cancellationToken);
        }
        while (tickets < incidents && wait.Elapsed < TimeSpan.FromSeconds(120));

        var duplicateTickets = Math.Max(0, tickets - incidents) + (incidents - distinctTickets);
        var rate = alerts / elapsed.TotalSeconds;
        var sorted = latencies.Order().ToArray();
        var p = (double q) => RawInsertBaseline.Percentile(sorted, q).ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        var sent = deliveries.Sum(d => d.Count);
        var details = new Dictionary<string, string>
        {
            ["systems"] = systems.ToString(CultureInfo.InvariantCulture),
            ["distinct alerts"] = alerts.ToString(CultureInfo.InvariantCulture),
            ["alerts sent (with retries and repeats)"] = sent.ToString(CultureInfo.InvariantCulture),
            ["deliveries"] = deliveries.Count.ToString(CultureInfo.InvariantCulture),
            ["senders"] = senders.ToString(CultureInfo.InvariantCulture),
            ["duration"] = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
            ["failed deliveries"] = failures.ToString(CultureInfo.InvariantCulture),
            ["stored = distinct"] = "yes",
            // CPU time is far less sensitive than throughput to other load on the machine: compare this between runs.
            ["host CPU per alert sent"] = (hostCpu.TotalMilliseconds / Math.Max(sent, 1)).ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        };
        return
        [
            new WorkloadResult(Throughput, rate, "alerts/s", RawInsertBaseline.WorkloadName, 1.0, true, details),
            new WorkloadResult(Latency, RawInsertBaseline.Percentile(sorted, 0.99), "ms", null, null, false,
                new Dictionary<string, string> { ["p50"] = p(0.50), ["p99"] = p(0.99), ["max"] = p(1.0), ["deliveries"] = sorted.Length.ToString(CultureInfo.InvariantCulture) },
                AbsoluteTarget: 1000),
            new WorkloadResult(Duplicates, duplicateTickets, "tickets", null, null, false,
                new Dictionary<string, string> { ["incidents"] = incidents.ToString(CultureInfo.InvariantCulture), ["monitoring tickets"] = tickets.ToString(CultureInfo.InvariantCulture) },
                AbsoluteTarget: 0),
        ];
    }

    /// <summary>
    /// Distinct alerts: each (system, check) fires, repeats and resolves. Every alert has its own time, so each one is
    /// distinct (a repeated firing gets a new start, as after a restart of Prometheus); a resolution carries its firing's start.
    /// </summary>
    private static List<object> Generate(int systems, int count, int seed, int offset)
    {
        var random = new Random(seed);
        var baseTime = DateTimeOffset.UtcNow.AddHours(-2);
        var firing = new Dictionary<(int System, int Check), DateTimeOffset>();
        var alerts = new List<object>(count);
        for (var i = 0; i < count; i++)
        {
            var key = (System: offset + random.Next(systems), Check: random.Next(Checks));
            var at = baseTime.AddMilliseconds(i * 500);
            var resolve = firing.TryGetValue(key, out var start) && random.Next(4) == 0;
            if (resolve)
            {
                firing.Remove(key);
            }
            else
            {
                firing[key] = start = at;
            }

            alerts.Add(new Dictionary<string, object>
            {
                ["status"] = resolve ? "resolved" : "firing",
                ["labels"] = new Dictionary<string, string> { ["alertname"] = $"check-{key.Check}", ["instance"] = $"storm-{key.System}:9100", ["severity"] = key.Check == 0 ? "critical" : "warning" },
                ["annotations"] = new Dictionary<string, string> { ["summary"] = $"check-{key.Check} on storm-{key.System}" },
                ["startsAt"] = start.ToString("O", CultureInfo.InvariantCulture),
                ["endsAt"] = resolve ? at.ToString("O", CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z",
                ["generatorURL"] = "http://prometheus.example/graph",
                ["fingerprint"] = $"{key.System:x8}{key.Check:x8}",
            });
        }

        return alerts;
    }

    /// <summary>Groups of alerts as Alertmanager sends them; a tenth of deliveries retried whole, a twentieth repeating earlier alerts.</summary>
    private static List<List<object>> Deliveries(List<object> alerts, Random random)
    {
        var deliveries = alerts.Chunk(PerDelivery).Select(c => c.ToList()).ToList();
        var extra = new List<List<object>>();
        for (var i = 0; i < deliveries.Count; i++)
        {
            if (random.Next(10) == 0)
            {
                extra.Add([.. deliveries[i]]);
            }

            if (i > 0 && random.Next(20) == 0)
            {
                deliveries[i].AddRange(deliveries[random.Next(i)].Take(5));
            }
        }

        deliveries.AddRange(extra);
        return [.. deliveries.OrderBy(_ => random.Next())];
    }

    private static async Task<(List<double> Latencies, long Failures)> Deliver(HttpClient hooks, List<List<object>> deliveries, int senders, CancellationToken cancellationToken)
    {
        var latencies = new List<double>(deliveries.Count);
        long failures = 0;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < deliveries.Count)
            {
                var body = JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["version"] = "4",
                    ["receiver"] = "platform",
                    ["status"] = "firing",
                    ["alerts"] = deliveries[i],
                    ["groupLabels"] = new Dictionary<string, string>(),
                    ["commonLabels"] = new Dictionary<string, string>(),
                    ["commonAnnotations"] = new Dictionary<string, string>(),
                    ["externalURL"] = "http://alertmanager.example:9093",
                    ["groupKey"] = "{}:{}",
                    ["truncatedAlerts"] = 0,
                });
                // Alertmanager retries until it gets a 2xx; so does this sender.
                for (var attempt = 0; ; attempt++)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var response = await hooks.PostAsync("/hooks/alertmanager/", new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);
                    lock (latencies)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }

                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }

                    Interlocked.Increment(ref failures);
                    if (attempt == 10)
                    {
                        throw new InvalidOperationException($"a delivery failed 10 times: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    }
                }
            }
        }));
        return (latencies, failures);
    }

    private static void InstallPlugin(string dataPath)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "plugin", "alertmanager");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(dataPath, "plugins", "alertmanager", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    private static async Task<long> Count(BenchDatabase database, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var count = new NpgsqlCommand(sql, connection);
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }
}
