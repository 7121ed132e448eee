using Npgsql;
using SupportPlatform.Benchmarks;
using SupportPlatform.Benchmarks.Workloads;
using SupportPlatform.Testing;

namespace SupportPlatform.Benchmarks.Tests;

/// <summary>
/// Cold start, idle memory and queue pages at a tiny size, against real host processes on the shared test PostgreSQL:
/// one seeded database (shared by the three, as in a benchmark run), so the whole class costs a few host starts.
/// </summary>
public sealed class SeededWorkloadTests
{
    private const int Accounts = 20;
    private const int Tickets = 3_000;

    private static async Task<BenchContext> ContextAsync() =>
        new(RunSize.Quick, await PostgresServer.Shared.GetAdminConnectionStringAsync(), new Dictionary<string, WorkloadResult>(), TextWriter.Null);

    [Fact]
    public async Task SeededWorkloads_TinyDatabase_MeasureStartMemoryAndPages()
    {
        var context = await ContextAsync();

        // The seed: every ticket and account written, the real ones through the API.
        var seeded = await SeededDatabase.GetAsync(context, Accounts, Tickets, CancellationToken.None);
        await using (var connection = await seeded.Database.OpenAsync(CancellationToken.None))
        {
            await using var count = new NpgsqlCommand("SELECT (SELECT count(*) FROM sp_tickets), (SELECT count(*) FROM sp_accounts), (SELECT count(*) FROM sp_tickets WHERE status IN ('new', 'open'))", connection);
            await using var reader = await count.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal((Tickets, Accounts), (reader.GetInt64(0), reader.GetInt64(1)));
            Assert.InRange(reader.GetInt64(2), 50, Tickets / 5);
        }

        var start = Assert.Single(await new ColdStartWorkload(Tickets, Accounts, starts: 1, uncountedFirstStart: false).RunAsync(context, CancellationToken.None));
        Assert.StartsWith(ColdStartWorkload.WorkloadName, start.Workload, StringComparison.Ordinal);
        Assert.InRange(start.Figure, 100, 120_000);
        Assert.Equal("20 accounts, 3,000 tickets (PostgreSQL)", start.Details["database"]);

        var memory = Assert.Single(await new IdleMemoryWorkload(Tickets, Accounts, idle: TimeSpan.FromSeconds(2)).RunAsync(context, CancellationToken.None));
        // A .NET host with an Orleans silo is never this small; a figure below it means the wrong process was measured.
        Assert.InRange(memory.Figure, 60, 4_096);
        Assert.Equal("MiB", memory.Unit);

        var pages = await new QueuePagesWorkload(Tickets, Accounts, requests: 30).RunAsync(context, CancellationToken.None);
        Assert.Equal(2, pages.Count);
        Assert.All(pages, r =>
        {
            Assert.True(r.Figure > 0 && r.AbsoluteTarget == 200, $"{r.Workload}: {r.Figure} ms");
            Assert.Equal("30", r.Details["requests"]);
            Assert.NotEqual("0%", r.Details["requests with rows"]);
        });
    }
}
