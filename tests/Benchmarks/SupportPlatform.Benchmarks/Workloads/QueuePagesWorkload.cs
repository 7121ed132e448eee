using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// "Search and queue pages": p95 latency of the staff ticket list API (`GET /api/tickets`, which the staff console's
/// queue and list pages call) of a real host process on a database of 1M tickets over 10k accounts (quick: 100k over
/// 1k), seeded with COPY. One request at a time, as a signed-in senior engineer, after a warm-up; two figures: the
/// queue pages (the SLA-ordered queue, a group's or an agent's queue, an account's tickets, the recently updated list,
/// with status, priority and channel filters and pages deep into the result) and the subject search of the list
/// (`q=`, a word of the subject, with and without other filters). Every response must be a 200 with a page of the
/// expected size whenever the total says there are enough rows.
/// </summary>
internal sealed class QueuePagesWorkload(int? tickets = null, int? accounts = null, int? requests = null) : IWorkload
{
    public const string QueueName = "queue pages p95";
    public const string SearchName = "ticket list search p95";

    public string Name => "queue pages";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var seeded = await SeededDatabase.GetAsync(context, accounts ?? context.Pick(1_000, 10_000), tickets ?? context.Pick(100_000, 1_000_000), cancellationToken);
        var count = requests ?? context.Pick(300, 1_000);
        using var data = new TempDirectory("sp-bench-pages-");
        await using var host = HostProcess.Start(HostProcess.Environment(data.Path, seeded.Database.ConnectionString));
        await host.WaitReadyAsync(TimeSpan.FromSeconds(120));
        using var http = await host.CreateStaffClientAsync("senior", "bench-pages-" + Guid.NewGuid().ToString("N")[..8]);
        http.Timeout = TimeSpan.FromMinutes(2);

        var label = ColdStartWorkload.Label(seeded);
        var queue = await MeasureAsync(http, Pages(new Random(5), seeded, count), count, cancellationToken);
        var search = await MeasureAsync(http, Searches(new Random(6), seeded, count), count, cancellationToken);
        return
        [
            Result($"{QueuePagesWorkload.QueueName} ({label}, API)", queue),
            Result($"{SearchName} ({label}, API)", search),
        ];
    }

    private static WorkloadResult Result(string name, Measured measured) =>
        new(name, Percentile(measured.Latencies, 0.95), "ms", null, null, false, new Dictionary<string, string>
        {
            ["p50"] = Percentile(measured.Latencies, 0.50).ToString("0.0", CultureInfo.InvariantCulture) + " ms",
            ["p99"] = Percentile(measured.Latencies, 0.99).ToString("0.0", CultureInfo.InvariantCulture) + " ms",
            ["max"] = measured.Latencies[^1].ToString("0.0", CultureInfo.InvariantCulture) + " ms",
            ["requests"] = measured.Latencies.Count.ToString(CultureInfo.InvariantCulture),
            ["requests with rows"] = ((double)measured.WithRows / measured.Latencies.Count).ToString("P0", CultureInfo.InvariantCulture),
            ["slowest"] = measured.Slowest,
        }, AbsoluteTarget: 200);

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private sealed record Measured(List<double> Latencies, int WithRows, string Slowest);

    private static async Task<Measured> MeasureAsync(HttpClient http, IReadOnlyList<string> pages, int count, CancellationToken cancellationToken)
    {
        // Warm-up: connections, plans, the server's caches.
        foreach (var page in pages.Take(Math.Min(20, count)))
        {
            await FetchAsync(http, page, cancellationToken);
        }

        var latencies = new List<double>(count);
        var withRows = 0;
        var slowest = (Ms: 0.0, Page: "");
        foreach (var page in pages)
        {
            var started = Stopwatch.GetTimestamp();
            if (await FetchAsync(http, page, cancellationToken) > 0)
            {
                withRows++;
            }

            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            latencies.Add(ms);
            if (ms > slowest.Ms)
            {
                slowest = (ms, page);
            }
        }

        latencies.Sort();
        return new Measured(latencies, withRows, $"{slowest.Page} ({slowest.Ms:0} ms)");
    }

    /// <summary>Fetches one page; checks the status and that the page is as full as the total allows; returns its row count.</summary>
    private static async Task<int> FetchAsync(HttpClient http, string page, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(page, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {page} answered {(int)response.StatusCode}: {body}");
        }

        using var json = JsonDocument.Parse(body);
        var items = json.RootElement.GetProperty("items").GetArrayLength();
        var total = json.RootElement.GetProperty("total").GetInt64();
        var pageNumber = json.RootElement.GetProperty("page").GetInt32();
        var pageSize = json.RootElement.GetProperty("pageSize").GetInt32();
        var expected = Math.Clamp(total - (long)(pageNumber - 1) * pageSize, 0, pageSize);
        return items == expected ? items : throw new InvalidOperationException($"GET {page}: {items} rows on the page, expected {expected} of {total}");
    }

    /// <summary>The queue and list pages staff open, with filters and paging (quick and full use the same mix).</summary>
    internal static IReadOnlyList<string> Pages(Random random, SeededDatabase seeded, int count)
    {
        var list = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var size = random.Next(3) == 0 ? 100 : 50;
            list.Add((i % 6) switch
            {
                0 => $"/api/tickets?status=new,open&sort=queue&pageSize={size}&page={1 + random.Next(3)}",
                1 => $"/api/tickets?group={SeededDatabase.Groups[random.Next(SeededDatabase.Groups.Length)]}&status=new,open,pending-client&sort=queue&pageSize={size}",
                2 => $"/api/tickets?agentId={SeededDatabase.Agent(random.Next(50))}&status=open,pending-client,on-hold&sort=queue&pageSize={size}",
                3 => $"/api/tickets?accountId={SeededDatabase.Account((int)(seeded.Accounts * Math.Pow(random.NextDouble(), 2)))}&sort=newest&pageSize={size}&page={1 + random.Next(2)}",
                4 => $"/api/tickets?sort=updated&pageSize={size}&page={1 + random.Next(20)}",
                _ => $"/api/tickets?status=open&priority=critical,high&channel={(random.Next(2) == 0 ? "email" : "phone")}&sort=queue&pageSize={size}",
            });
        }

        return list;
    }

    /// <summary>The list's subject search (`q`): alone, with a status filter, with an account.</summary>
    private static IReadOnlyList<string> Searches(Random random, SeededDatabase seeded, int count)
    {
        string[] words = ["printer", "password", "vpn", "calendar", "disk", "certificate", "laptop", "microphone", "backup", "guest"];
        var list = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var word = words[random.Next(words.Length)];
            list.Add((i % 3) switch
            {
                0 => $"/api/tickets?q={word}&sort=updated&pageSize=50",
                1 => $"/api/tickets?q={word}&status=new,open,pending-client&sort=queue&pageSize=50",
                _ => $"/api/tickets?q={word}&accountId={SeededDatabase.Account((int)(seeded.Accounts * Math.Pow(random.NextDouble(), 2)))}&sort=newest&pageSize=50",
            });
        }

        return list;
    }
}
