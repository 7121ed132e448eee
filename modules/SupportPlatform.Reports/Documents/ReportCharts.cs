using SupportPlatform.Reports.Domain;

namespace SupportPlatform.Reports.Documents;

/// <summary>One chart of a report, as a PNG.</summary>
/// <param name="Id">Stable id, used as the mail part's Content-ID (<c>{Id}@supportplatform</c>).</param>
/// <param name="Title">What it shows (also its alt text).</param>
/// <param name="Png">The image.</param>
internal sealed record ReportChart(string Id, string Title, byte[] Png)
{
    public string ContentId => Id + "@supportplatform";

    public string DataUri => "data:image/png;base64," + Convert.ToBase64String(Png);
}

/// <summary>
/// Draws a report's charts with ScottPlot (on SkiaSharp, headless, no display or fonts from the system needed) as PNGs
/// that mail clients show: ticket volume by channel, response and resolution times against the SLA targets, uptime
/// against target, and phone hours against the allowance (per month on monthly reports).
/// </summary>
internal static class ReportCharts
{
    private const int Width = 640;
    private const int Height = 300;

    public static IReadOnlyList<ReportChart> Draw(AccountReport report)
    {
        var charts = new List<ReportChart>
        {
            Volume(report),
            Times(report),
        };
        if (report.Uptime.Count > 0)
        {
            charts.Add(Uptime(report));
        }

        charts.Add(Phone(report));
        return charts;
    }

    private static ReportChart Volume(AccountReport report)
    {
        var plot = new ScottPlot.Plot();
        var channels = report.Channels;
        var opened = plot.Add.Bars(channels.Select((c, i) => new ScottPlot.Bar { Position = (3 * i) + 1, Value = c.Opened }).ToArray());
        opened.LegendText = "opened";
        var resolved = plot.Add.Bars(channels.Select((c, i) => new ScottPlot.Bar { Position = (3 * i) + 2, Value = c.Resolved, FillColor = ScottPlot.Colors.Orange }).ToArray());
        resolved.LegendText = "resolved";
        plot.Axes.Bottom.SetTicks([.. channels.Select((_, i) => (3 * i) + 1.5)], [.. channels.Select(c => c.Channel)]);
        plot.Axes.Margins(bottom: 0);
        plot.Title("Tickets by channel");
        plot.ShowLegend();
        return new ReportChart("chart-volume", "Tickets opened and resolved by channel", plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png));
    }

    private static ReportChart Times(AccountReport report)
    {
        var plot = new ScottPlot.Plot();
        var rows = report.Compliance;
        plot.Add.Bars(rows.Select((c, i) => new ScottPlot.Bar { Position = (4 * i) + 1, Value = (c.FirstResponse.MedianMinutes ?? 0) / 60 }).ToArray()).LegendText = "median first response (h)";
        plot.Add.Bars(rows.Select((c, i) => new ScottPlot.Bar { Position = (4 * i) + 2, Value = c.FirstResponseTargetMinutes / 60.0, FillColor = ScottPlot.Colors.LightGray }).ToArray()).LegendText = "first response target (h)";
        plot.Add.Bars(rows.Select((c, i) => new ScottPlot.Bar { Position = (4 * i) + 3, Value = (c.Resolution.MedianMinutes ?? 0) / 60, FillColor = ScottPlot.Colors.Orange }).ToArray()).LegendText = "median resolution (h)";
        plot.Axes.Bottom.SetTicks([.. rows.Select((_, i) => (4 * i) + 2.0)], [.. rows.Select(c => c.Priority)]);
        plot.Axes.Margins(bottom: 0);
        plot.Title("Response and resolution (business hours) against SLA");
        plot.ShowLegend();
        return new ReportChart("chart-times", "Median response and resolution times against the SLA targets", plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png));
    }

    private static ReportChart Uptime(AccountReport report) =>
        new("chart-uptime", "Uptime of each monitored system against its target", UptimePlot(report.Uptime).GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png));

    /// <summary>
    /// One bar per system and, across each bar, a dashed marker at that system's own target (its monitoring rules', else
    /// the account's, else 99.9%): systems can have different targets, so one line for all would misstate some. Markers of
    /// the same target share a colour and one legend entry ("target 99.9%").
    /// </summary>
    internal static ScottPlot.Plot UptimePlot(IReadOnlyList<UptimeLine> rows)
    {
        var plot = new ScottPlot.Plot();
        plot.Add.Bars(rows.Select((u, i) => new ScottPlot.Bar { Position = i + 1, Value = u.UptimePercent ?? 0, FillColor = u.MeetsTarget ? ScottPlot.Colors.SeaGreen : ScottPlot.Colors.Crimson }).ToArray());
        var targets = rows.Select(u => u.TargetPercent).Distinct().Order().ToList();
        ScottPlot.Color[] palette = [ScottPlot.Colors.Black, ScottPlot.Colors.RoyalBlue, ScottPlot.Colors.DarkOrange, ScottPlot.Colors.Purple, ScottPlot.Colors.Teal];
        var named = new HashSet<double>();
        for (var i = 0; i < rows.Count; i++)
        {
            var target = rows[i].TargetPercent;
            var marker = plot.Add.Line(i + 1 - 0.45, target, i + 1 + 0.45, target);
            marker.LinePattern = ScottPlot.LinePattern.Dashed;
            marker.LineWidth = 3;
            marker.Color = palette[targets.IndexOf(target) % palette.Length];
            if (named.Add(target))
            {
                marker.LegendText = "target " + ReportBuilder.Pct(target, 3);
            }
        }

        plot.Axes.Bottom.SetTicks([.. rows.Select((_, i) => i + 1.0)], [.. rows.Select(u => u.Name)]);
        var lowest = Math.Min(rows.Min(u => u.UptimePercent ?? 100), targets[0]);
        plot.Axes.SetLimitsY(Math.Max(0, Math.Floor(lowest - 1)), 100.2);
        plot.Title("Uptime (%) against each system's target");
        plot.ShowLegend();
        return plot;
    }

    private static ReportChart Phone(AccountReport report)
    {
        var plot = new ScottPlot.Plot();
        if (report.Trends.Count > 0)
        {
            var months = report.Trends;
            plot.Add.Bars(months.Select((m, i) => new ScottPlot.Bar { Position = i + 1, Value = m.PhoneUsedMinutes / 60.0 }).ToArray()).LegendText = "hours used";
            var allowance = plot.Add.Scatter(months.Select((_, i) => i + 1.0).ToArray(), months.Select(m => m.PhoneAllowanceMinutes / 60.0).ToArray());
            allowance.LegendText = "allowance";
            plot.Axes.Bottom.SetTicks([.. months.Select((_, i) => i + 1.0)], [.. months.Select(m => m.Month[2..])]);
        }
        else
        {
            plot.Add.Bars(new[]
            {
                new ScottPlot.Bar { Position = 1, Value = report.Phone.UsedInPeriodMinutes / 60.0 },
                new ScottPlot.Bar { Position = 2, Value = report.Phone.UsedInMonthMinutes / 60.0, FillColor = ScottPlot.Colors.Orange },
                new ScottPlot.Bar { Position = 3, Value = report.Phone.AllowanceMinutes / 60.0, FillColor = ScottPlot.Colors.LightGray },
            });
            plot.Axes.Bottom.SetTicks([1, 2, 3], ["this week", "month to date", "allowance"]);
        }

        plot.Axes.Margins(bottom: 0);
        plot.Title("Phone hours against the allowance");
        plot.ShowLegend();
        return new ReportChart("chart-phone", "Phone hours used against the monthly allowance", plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png));
    }
}
