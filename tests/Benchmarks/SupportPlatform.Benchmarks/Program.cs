using System.Globalization;
using System.Runtime.InteropServices;
using SupportPlatform.Benchmarks;
using SupportPlatform.Benchmarks.Workloads;
using SupportPlatform.Testing;

// A throughput/latency harness rather than BenchmarkDotNet: the workloads drive servers (PostgreSQL, the host)
// for seconds to minutes and compare against a baseline measured in the same run, which BenchmarkDotNet's
// micro-benchmark model does not express.
var size = RunSize.Quick;
string? postgres = Environment.GetEnvironmentVariable("SP_BENCH_POSTGRES");
var output = Path.Combine(AppContext.BaseDirectory, "results");
string? only = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--size" when i + 1 < args.Length && Enum.TryParse<RunSize>(args[i + 1], ignoreCase: true, out var s):
            size = s;
            i++;
            break;
        case "--postgres" when i + 1 < args.Length:
            postgres = args[++i];
            break;
        case "--out" when i + 1 < args.Length:
            output = Path.GetFullPath(args[++i]);
            break;
        case "--only" when i + 1 < args.Length:
            only = args[++i];
            break;
        default:
            await Console.Error.WriteLineAsync(
                $"unknown or incomplete argument '{args[i]}'. Usage: bench [--size quick|full] [--postgres <Npgsql connection string>] [--out <folder>] [--only <workload name part>[,<another>...]]");
            return 2;
    }
}

IWorkload[] workloads = [new RawInsertBaseline(), new TicketIntakeWorkload(), new DeadlineWorkload(), new LiveQueueWorkload(), new MailImportWorkload(), new ImapEndToEndWorkload(), new ImapImportWorkload(), new AlertStormWorkload(), new KnowledgeSearchWorkload(), new ColdStartWorkload(), new IdleMemoryWorkload(), new QueuePagesWorkload(), new MonthlyReportWorkload()];
if (postgres is null)
{
    Console.WriteLine("Starting a throwaway PostgreSQL server with fsync and synchronous commit on...");
    postgres = await PostgresServer.CreateDurable().GetAdminConnectionStringAsync();
}

var results = new List<WorkloadResult>();
var earlier = new Dictionary<string, WorkloadResult>();
var environment = new Dictionary<string, string>
{
    ["date"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
    ["size"] = size.ToString().ToLowerInvariant(),
    ["machine"] = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {RuntimeInformation.OSDescription}",
    ["runtime"] = RuntimeInformation.FrameworkDescription,
};
var header = $"SupportPlatform benchmarks, {environment["size"]} size, {environment["date"]} on {environment["machine"]}";
Directory.CreateDirectory(output);
foreach (var workload in workloads)
{
    // The baseline always runs: every other figure is a ratio to it.
    if (only is not null && workload is not RawInsertBaseline
        && !only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Any(part => workload.Name.Contains(part, StringComparison.OrdinalIgnoreCase)))
    {
        continue;
    }

    Console.WriteLine($"running: {workload.Name} ({size})");
    foreach (var result in await workload.RunAsync(new BenchContext(size, postgres, earlier, Console.Out), CancellationToken.None))
    {
        results.Add(result);
        earlier[result.Workload] = result;
    }

    // The tables so far after each workload: a long full-size run that is stopped keeps what it measured.
    await WriteAsync(Report.Rows(results));
}

var rows = Report.Rows(results);
await WriteAsync(rows);

Console.WriteLine();
Console.WriteLine(header);
Console.WriteLine(Report.Text(rows));
Console.WriteLine($"written: {Path.Combine(output, "results.md")} and results.json");
return rows.Any(r => r.Result == "FAIL") ? 1 : 0;

async Task WriteAsync(IReadOnlyList<Report.Row> table)
{
    await File.WriteAllTextAsync(Path.Combine(output, "results.md"), Report.Markdown(table, "# " + header));
    await File.WriteAllTextAsync(Path.Combine(output, "results.json"), Report.Json(table, environment));
}
