using SupportPlatform.Core.Documents;
using SupportPlatform.Core.Mail;
using SupportPlatform.Reports.Domain;

namespace SupportPlatform.Reports.Documents;

/// <summary>A report rendered for mail: subject, text, HTML naming its charts as cid: parts, and the charts.</summary>
internal sealed record RenderedMail(string Subject, string Text, string Html, IReadOnlyList<MailInlineImage> Images);

/// <summary>Renders a report in its formats: HTML email (inline charts), web page, presentation, PDF; and the staff report.</summary>
internal sealed class ReportDocuments(ReportTemplates templates, ReportsOptions options)
{
    public RenderedMail Mail(AccountReport report)
    {
        var charts = ReportCharts.Draw(report);
        var model = Model(report, charts, c => "cid:" + c.ContentId, "email");
        var (subject, text) = templates.RenderMail(report.AccountId, model);
        var html = templates.Render(report.AccountId, "report.html.sbn", model);
        return new RenderedMail(subject, text, html, [.. charts.Select(c => new MailInlineImage(c.ContentId, "image/png", c.Png))]);
    }

    public string Page(AccountReport report, string format = "page") =>
        templates.Render(report.AccountId, "report.html.sbn", Model(report, ReportCharts.Draw(report), c => c.DataUri, format));

    public string Presentation(AccountReport report) =>
        templates.Render(report.AccountId, "presentation.html.sbn", Model(report, ReportCharts.Draw(report), c => c.DataUri, "presentation"));

    public async Task<byte[]> PdfAsync(AccountReport report, CancellationToken ct)
    {
        var html = Page(report, "pdf");
        try
        {
            return await ChromiumPdf.PrintAsync(options.ChromiumPath, html, ct);
        }
        catch (ChromiumPdfException ex)
        {
            throw new ReportException(503, "pdf-unavailable", ex.Message + " The web page of the report is available.");
        }
    }

    public string Staff(StaffReport report) => templates.Render(null, "staff.html.sbn", new { Report = report, Format = "page", PublicUrl = options.PublicUrl });

    private object Model(AccountReport report, IReadOnlyList<ReportChart> charts, Func<ReportChart, string> src, string format) => new
    {
        Report = report,
        Charts = charts.Select(c => new { c.Id, c.Title, Src = src(c) }).ToList(),
        Format = format,
        PublicUrl = options.PublicUrl,
        PortalUrl = $"{options.PublicUrl}/portal/reports?account={Uri.EscapeDataString(report.AccountId)}&kind={report.Kind}&period={Uri.EscapeDataString(report.Period)}",
    };
}
