using SupportPlatform.Benchmarks;
using SupportPlatform.Benchmarks.Workloads;
using SupportPlatform.Testing;

namespace SupportPlatform.Benchmarks.Tests;

public sealed class HarnessTests
{
    private static WorkloadResult Result(string name, double figure, string? baseline = null, double? target = null, bool higherIsBetter = true) =>
        new(name, figure, "ops/s", baseline, target, higherIsBetter, new Dictionary<string, string>());

    [Fact]
    public void Rows_FigureAgainstBaseline_RatioAndVerdict()
    {
        var rows = Report.Rows([
            Result("baseline", 2000),
            Result("intake", 1200, "baseline", 0.5),
            Result("slow intake", 800, "baseline", 0.5),
            Result("latency", 30, "baseline", 0.01, higherIsBetter: false),
        ]);

        Assert.Equal(("baseline", "-", "baseline"), (rows[0].Workload, rows[0].Ratio, rows[0].Result));
        Assert.Equal(("0.60x", ">= 0.5x", "pass"), (rows[1].Ratio, rows[1].Target, rows[1].Result));
        Assert.Equal(("0.40x", "FAIL"), (rows[2].Ratio, rows[2].Result));
        Assert.Equal(("0.02x", "<= 0.01x", "FAIL"), (rows[3].Ratio, rows[3].Target, rows[3].Result));
    }

    [Fact]
    public void Rows_AbsoluteTargetBesideABaseline_RatioShown_AbsoluteDecides()
    {
        var rows = Report.Rows([
            Result("baseline", 2000),
            Result("import", 260, "baseline") with { AbsoluteTarget = 200 },
            Result("slow import", 140, "baseline") with { AbsoluteTarget = 200 },
        ]);

        Assert.Equal(("0.13x", ">= 200 ops/s", "pass"), (rows[1].Ratio, rows[1].Target, rows[1].Result));
        Assert.Equal(("0.07x", ">= 200 ops/s", "FAIL"), (rows[2].Ratio, rows[2].Target, rows[2].Result));
    }

    [Fact]
    public void Rows_BaselineMissing_SaysSo()
    {
        var row = Assert.Single(Report.Rows([Result("intake", 10, "baseline", 0.5)]));

        Assert.Equal("no baseline", row.Result);
    }

    [Fact]
    public void MarkdownAndJson_Rows_CarryEveryColumn()
    {
        var rows = Report.Rows([Result("baseline", 2000), Result("intake", 1500, "baseline", 0.5)]);

        var markdown = Report.Markdown(rows, "# run");
        var json = Report.Json(rows, new Dictionary<string, string> { ["size"] = "quick" });

        Assert.Contains("| intake | 1,500 ops/s | baseline (2,000 ops/s) | 0.75x | >= 0.5x | pass |", markdown, StringComparison.Ordinal);
        Assert.Contains("\"ratio\": 0.75", json, StringComparison.Ordinal);
        Assert.Contains("\"size\": \"quick\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RawInsertBaseline_NonDurableServer_Refused()
    {
        // The shared test server runs with fsync off: a baseline measured there would flatter every ratio.
        var admin = await PostgresServer.Shared.GetAdminConnectionStringAsync();
        var context = new BenchContext(RunSize.Quick, admin, new Dictionary<string, WorkloadResult>(), TextWriter.Null);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => new RawInsertBaseline().RunAsync(context, CancellationToken.None));

        Assert.Contains("fsync=off", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KnowledgeSearch_SmallCorpus_MeasuresBothBackEndsAndFindsResults()
    {
        var admin = await PostgresServer.Shared.GetAdminConnectionStringAsync();
        var context = new BenchContext(RunSize.Quick, admin, new Dictionary<string, WorkloadResult>(), TextWriter.Null);

        var results = await new KnowledgeSearchWorkload(tickets: 3_000, articles: 200, queries: 40).RunAsync(context, CancellationToken.None);

        Assert.Equal(4, results.Count);
        Assert.Contains(results, r => r.Workload.Contains("PostgreSQL", StringComparison.Ordinal) && r.AbsoluteTarget == 200);
        Assert.All(results, r => Assert.True(r.Figure > 0 && r.Details["queries_with_results"] != "0%", $"{r.Workload}: {r.Figure} ms, {r.Details["queries_with_results"]} with results"));
    }

    [Fact]
    public async Task MonthlyReport_SmallMonth_BuildsTheReportOfEveryTicket()
    {
        var admin = await PostgresServer.Shared.GetAdminConnectionStringAsync();
        var context = new BenchContext(RunSize.Quick, admin, new Dictionary<string, WorkloadResult>(), TextWriter.Null);

        var results = await new MonthlyReportWorkload(tickets: 2_000, alerts: 5_000).RunAsync(context, CancellationToken.None);
        Assert.Equal(2, results.Count);
        var (baseline, result) = (results[0], results[1]);
        Assert.True(baseline.Figure > 0 && baseline.Details["rows"] == "2000", $"baseline: {baseline.Figure} ms, {baseline.Details["rows"]} rows");

        Assert.Equal(2_000, result.AbsoluteTarget);
        // The month is over: every ticket's first response (and every resolution) was kept by the first build.
        Assert.True(long.Parse(result.Details["kept_business_times"], System.Globalization.CultureInfo.InvariantCulture) >= 2_000, result.Details["kept_business_times"]);
        Assert.Equal("2000", result.Details["opened"]);
        Assert.True(int.Parse(result.Details["breaches"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(result.Figure > 0);
    }
}
