using System.Globalization;
using System.Net.Http.Json;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// "Idle memory": the resident set (RSS) of a host process that has started on the seeded database (quick 1k accounts
/// and 100k tickets, full 10k and 1M), been warmed up as staff use it (sign-in, the queue and list pages, a ticket, an
/// account, a new ticket) and then left idle; sampled once a second over the last seconds of the idle period, the
/// largest sample counted. This is what an install costs in memory when nobody is working.
/// </summary>
internal sealed class IdleMemoryWorkload(int? tickets = null, int? accounts = null, TimeSpan? idle = null) : IWorkload
{
    public const string WorkloadName = "idle memory (RSS)";

    public string Name => "idle memory";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var seeded = await SeededDatabase.GetAsync(context, accounts ?? context.Pick(1_000, 10_000), tickets ?? context.Pick(100_000, 1_000_000), cancellationToken);
        var quiet = idle ?? context.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60));
        using var data = new TempDirectory("sp-bench-idle-");
        await using var host = HostProcess.Start(HostProcess.Environment(data.Path, seeded.Database.ConnectionString));
        await host.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var ready = Sample(host.ProcessId);

        // Warm-up: what a morning's first minutes touch.
        using (var http = await host.CreateStaffClientAsync("senior", "bench-idle-" + Guid.NewGuid().ToString("N")[..8]))
        {
            for (var round = 0; round < 3; round++)
            {
                foreach (var page in QueuePagesWorkload.Pages(new Random(round), seeded, 20))
                {
                    (await http.GetAsync(page, cancellationToken)).EnsureSuccessStatusCode();
                }
            }

            (await http.GetAsync($"/api/accounts/{SeededDatabase.RealAccount}", cancellationToken)).EnsureSuccessStatusCode();
            var created = await http.PostAsJsonAsync("/api/tickets", new
            {
                accountId = SeededDatabase.RealAccount,
                requesterId = "bench-user",
                subject = "Idle memory warm-up",
                description = "Created by the idle memory benchmark.",
            }, cancellationToken);
            created.EnsureSuccessStatusCode();
            (await http.GetAsync(created.Headers.Location, cancellationToken)).EnsureSuccessStatusCode();
        }

        var samples = new List<Memory>();
        var window = TimeSpan.FromSeconds(Math.Min(10, Math.Max(1, quiet.TotalSeconds / 2)));
        await Task.Delay(quiet - window, cancellationToken);
        for (var t = TimeSpan.Zero; t < window; t += TimeSpan.FromSeconds(1))
        {
            samples.Add(Sample(host.ProcessId));
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        var peak = samples.MaxBy(s => s.Rss)!;
        return
        [
            new WorkloadResult($"{WorkloadName} ({ColdStartWorkload.Label(seeded)}, {seeded.Accounts / 1_000}k accounts)", peak.Rss / 1048576.0, "MiB", null, null, false, new Dictionary<string, string>
            {
                ["RSS when ready"] = Mib(ready.Rss),
                ["anonymous (heap) part"] = Mib(peak.Anonymous),
                ["idle"] = quiet.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s after warm-up",
                ["samples"] = samples.Count.ToString(CultureInfo.InvariantCulture),
            }, AbsoluteTarget: 512),
        ];
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    private sealed record Memory(long Rss, long Anonymous);

    /// <summary>VmRSS and RssAnon from /proc (Linux: the platform's supported servers), in bytes.</summary>
    private static Memory Sample(int processId)
    {
        long rss = 0, anonymous = 0;
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anonymous = Kilobytes(line);
            }
        }

        return rss > 0 ? new Memory(rss, anonymous) : throw new InvalidOperationException($"No VmRSS in /proc/{processId}/status");

        static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
