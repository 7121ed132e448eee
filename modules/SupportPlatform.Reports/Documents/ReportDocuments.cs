using SupportPlatform.Core.Documents;
using SupportPlatform.Core.Mail;
using SupportPlatform.Reports.Domain;

namespace SupportPlatform.Reports.Documents;

/// <summary>A report rendered for mail: subject, text, HTML naming its charts as cid: parts, and the charts.</summary>
internal sealed record RenderedMail(string Subject, string Text, string Html, IReadOnlyList<MailInlineImage> Images);

/// <summary>Renders a report in its formats: HTML email (inline charts), web page, presentation, PDF; and the staff report.</summary>
internal sealed class ReportDocuments(ReportTemplates templates, ReportsOptions options)
{
    public async Task<RenderedMail> MailAsync(AccountReport report, CancellationToken ct)
    {
        var charts = ReportCharts.Draw(report);
        var model = Model(report, charts, c => "cid:" + c.ContentId, "email", options);
        var (subject, text) = await templates.RenderMailAsync(report.AccountId, model, ct);
        var html = await templates.RenderAsync(report.AccountId, "report.html.sbn", model, ct);
        return new RenderedMail(subject, text, html, [.. charts.Select(c => new MailInlineImage(c.ContentId, "image/png", c.Png))]);
    }

    public Task<string> PageAsync(AccountReport report, CancellationToken ct, string format = "page") =>
        templates.RenderAsync(report.AccountId, "report.html.sbn", Model(report, ReportCharts.Draw(report), c => c.DataUri, format, options), ct);

    public Task<string> PresentationAsync(AccountReport report, CancellationToken ct) =>
        templates.RenderAsync(report.AccountId, "presentation.html.sbn", Model(report, ReportCharts.Draw(report), c => c.DataUri, "presentation", options), ct);

    public async Task<byte[]> PdfAsync(AccountReport report, CancellationToken ct)
    {
        var html = await PageAsync(report, ct, "pdf");
        try
        {
            return await ChromiumPdf.PrintAsync(options.ChromiumPath, html, ct);
        }
        catch (ChromiumPdfException ex)
        {
            throw new ReportException(503, "pdf-unavailable", ex.Message + " The web page of the report is available.");
        }
    }

    public Task<string> StaffAsync(StaffReport report, CancellationToken ct) => templates.RenderAsync(null, "staff.html.sbn", StaffModel(report, options), ct);

    /// <summary>The model of <c>staff.html.sbn</c> (also the template page's sample).</summary>
    internal static object StaffModel(StaffReport report, ReportsOptions options) => new { Report = report, Format = "page", PublicUrl = options.PublicUrl };

    /// <summary>The model of the account report templates (also the template page's sample).</summary>
    internal static object Model(AccountReport report, IReadOnlyList<ReportChart> charts, Func<ReportChart, string> src, string format, ReportsOptions options) => new
    {
        Report = report,
        Charts = charts.Select(c => new { c.Id, c.Title, Src = src(c) }).ToList(),
        Format = format,
        PublicUrl = options.PublicUrl,
        PortalUrl = $"{options.PublicUrl}/portal/reports?account={Uri.EscapeDataString(report.AccountId)}&kind={report.Kind}&period={Uri.EscapeDataString(report.Period)}",
    };
}
