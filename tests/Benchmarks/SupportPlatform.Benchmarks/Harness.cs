using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SupportPlatform.Benchmarks;

/// <summary>How big a run is: quick finishes in minutes on 2 cores; full gives the figures quoted in the README.</summary>
internal enum RunSize
{
    Quick,
    Full,
}

/// <summary>What every workload gets: the size, the PostgreSQL server in use, and the results measured before it.</summary>
internal sealed record BenchContext(RunSize Size, string PostgresAdmin, IReadOnlyDictionary<string, WorkloadResult> Earlier, TextWriter Log)
{
    public T Pick<T>(T quick, T full) => Size == RunSize.Quick ? quick : full;
}

/// <summary>
/// One measured figure. <see cref="Baseline"/> names an earlier workload; the ratio is figure / baseline figure.
/// A figure without a baseline may carry <see cref="AbsoluteTarget"/> instead (in its own unit, e.g. a p99 latency
/// under 1,000 ms): used only where a ratio makes no sense. A figure with a baseline but no ratio target may carry one
/// too (the issue names an absolute figure): the ratio is then shown beside it, and the absolute target decides.
/// </summary>
internal sealed record WorkloadResult(
    string Workload,
    double Figure,
    string Unit,
    string? Baseline,
    double? TargetRatio,
    bool HigherIsBetter,
    IReadOnlyDictionary<string, string> Details,
    double? AbsoluteTarget = null);

/// <summary>A benchmark workload. Workloads run in order; later ones may compare against earlier ones.</summary>
internal interface IWorkload
{
    string Name { get; }

    Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>The one table: workload, figure, baseline, ratio, target, pass or fail; printed, and written as Markdown and JSON.</summary>
internal static class Report
{
    public sealed record Row(string Workload, string Figure, string Baseline, string Ratio, string Target, string Result, WorkloadResult Raw);

    public static IReadOnlyList<Row> Rows(IReadOnlyList<WorkloadResult> results)
    {
        var byName = results.ToDictionary(r => r.Workload);
        return results.Select(r =>
        {
            if (r.Baseline is null && r.AbsoluteTarget is { } absolute)
            {
                var met = r.HigherIsBetter ? r.Figure >= absolute : r.Figure <= absolute;
                return new Row(r.Workload, Format(r.Figure, r.Unit), "-", "-", (r.HigherIsBetter ? ">= " : "<= ") + Format(absolute, r.Unit), met ? "pass" : "FAIL", r);
            }

            if (r.Baseline is null || !byName.TryGetValue(r.Baseline, out var baseline))
            {
                return new Row(r.Workload, Format(r.Figure, r.Unit), "-", "-", "-", r.Baseline is null ? "baseline" : "no baseline", r);
            }

            var ratio = r.Figure / baseline.Figure;
            var pass = r.TargetRatio is { } target ? (r.HigherIsBetter ? ratio >= target : ratio <= target)
                : r.AbsoluteTarget is not { } goal || (r.HigherIsBetter ? r.Figure >= goal : r.Figure <= goal);
            return new Row(
                r.Workload,
                Format(r.Figure, r.Unit),
                $"{baseline.Workload} ({Format(baseline.Figure, baseline.Unit)})",
                ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x",
                r.TargetRatio is { } t ? (r.HigherIsBetter ? ">= " : "<= ") + t.ToString("0.##", CultureInfo.InvariantCulture) + "x"
                    : r.AbsoluteTarget is { } a ? (r.HigherIsBetter ? ">= " : "<= ") + Format(a, r.Unit) : "-",
                pass ? "pass" : "FAIL",
                r);
        }).ToList();
    }

    public static string Markdown(IReadOnlyList<Row> rows, string header)
    {
        var md = new StringBuilder();
        md.AppendLine(header).AppendLine();
        md.AppendLine("| workload | figure | baseline | ratio | target | result |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {row.Workload} | {row.Figure} | {row.Baseline} | {row.Ratio} | {row.Target} | {row.Result} |");
        }

        md.AppendLine();
        foreach (var row in rows.Where(r => r.Raw.Details.Count > 0))
        {
            var details = string.Join("; ", row.Raw.Details.Select(d => $"{d.Key} {d.Value}"));
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{row.Workload}**: {details}");
        }

        return md.ToString();
    }

    public static string Text(IReadOnlyList<Row> rows)
    {
        string[] headers = ["workload", "figure", "baseline", "ratio", "target", "result"];
        var cells = rows.Select(r => new[] { r.Workload, r.Figure, r.Baseline, r.Ratio, r.Target, r.Result }).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        var text = new StringBuilder();
        text.AppendLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))));
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var c in cells)
        {
            text.AppendLine(string.Join("  ", c.Select((v, i) => v.PadRight(widths[i]))));
        }

        return text.ToString();
    }

    public static string Json(IReadOnlyList<Row> rows, IReadOnlyDictionary<string, string> environment) =>
        JsonSerializer.Serialize(
            new
            {
                environment,
                rows = rows.Select(r => new
                {
                    workload = r.Workload,
                    figure = r.Raw.Figure,
                    unit = r.Raw.Unit,
                    baseline = r.Raw.Baseline,
                    ratio = r.Ratio == "-" ? (double?)null : double.Parse(r.Ratio.TrimEnd('x'), CultureInfo.InvariantCulture),
                    targetRatio = r.Raw.TargetRatio,
                    absoluteTarget = r.Raw.AbsoluteTarget,
                    higherIsBetter = r.Raw.HigherIsBetter,
                    result = r.Result,
                    details = r.Raw.Details,
                }),
            },
            new JsonSerializerOptions { WriteIndented = true });

    private static string Format(double value, string unit) =>
        (value >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture)) + " " + unit;
}
