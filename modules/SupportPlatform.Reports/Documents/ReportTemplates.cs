using System.Globalization;
using System.Reflection;
using Scriban;
using Scriban.Runtime;
using Scriban.Syntax;
using SupportPlatform.Reports.Domain;
using SupportPlatform.Templates.Contracts;

namespace SupportPlatform.Reports.Documents;

/// <summary>
/// The report templates (Scriban): <c>report.sbn</c> (first line <c>Subject: ...</c>, a blank line, the text body),
/// <c>report.html.sbn</c> (mail, portal page and PDF), <c>presentation.html.sbn</c> and <c>staff.html.sbn</c>. The one in
/// effect comes from the templates module (<see cref="ITemplateSource"/>): an account's saved override or its file
/// (<c>templates/reports/accounts/&lt;account id&gt;/&lt;file&gt;</c>), the override saved on the admin page, the MSP's file
/// (<c>templates/reports/&lt;file&gt;</c>), else the shipped one. A template that does not parse or fails while rendering
/// (strict: an unknown variable is an error) raises <see cref="ReportTemplateException"/> naming the template and the
/// line; callers render everything before they store or send anything.
/// </summary>
internal sealed class ReportTemplates(ITemplateSource source)
{
    public async Task<(string Subject, string Text)> RenderMailAsync(string? accountId, object model, CancellationToken ct)
    {
        var (label, rendered) = await RenderWithLabelAsync(accountId, "report.sbn", model, ct);
        var text = rendered.Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var head = (split < 0 ? text : text[..split]).Trim();
        if (!head.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
        {
            throw new ReportTemplateException(label, 1, "the template must start with a 'Subject:' line followed by a blank line.");
        }

        return (head["Subject:".Length..].Replace('\n', ' ').Trim(), split < 0 ? "" : text[(split + 2)..]);
    }

    public async Task<string> RenderAsync(string? accountId, string name, object model, CancellationToken ct) =>
        (await RenderWithLabelAsync(accountId, name, model, ct)).Text;

    private async Task<(string Label, string Text)> RenderWithLabelAsync(string? accountId, string name, object model, CancellationToken ct)
    {
        ResolvedTemplate template;
        try
        {
            template = await source.GetAsync(ReportTemplateKind.Name, name, accountId, ct);
        }
        catch (TemplateSourceException ex)
        {
            throw new ReportTemplateException(ex.Label, ex.Line, ex.Problem);
        }

        try
        {
            return (template.Label, ReportTemplateKind.RenderText(template.Template, model));
        }
        catch (ScriptRuntimeException ex)
        {
            throw new ReportTemplateException(template.Label, ex.Span.Start.Line + 1, ex.OriginalMessage);
        }
    }
}

/// <summary>The report templates on the template admin page.</summary>
internal sealed class ReportTemplateKind(ReportsOptions options) : ITemplateKind
{
    public const string Name = "reports";

    private static readonly IReadOnlyList<TemplateDescriptor> All =
    [
        new("report.sbn", "The mail of a weekly or monthly report to the account's stakeholders: subject and text.", SubjectLine: true),
        new("report.html.sbn", "The report as HTML: the mail's HTML part (charts inline), the portal page and the PDF (format tells which).", Html: true),
        new("presentation.html.sbn", "The report as slides for a review meeting.", Html: true),
        new("staff.html.sbn", "The staff report: agents, groups, backlog, breaches and hours per account.", Html: true),
    ];

    string ITemplateKind.Kind => Name;

    public string Title => "Reports";

    public string Folder => "reports";

    public bool PerAccount => true;

    public IReadOnlyList<TemplateDescriptor> Templates => All;

    public string Shipped(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ReportTemplates/" + name)
            ?? throw new InvalidOperationException($"There is no report template '{name}'.");
        return new StreamReader(stream).ReadToEnd();
    }

    public object SampleModel(string name)
    {
        if (name == "staff.html.sbn")
        {
            return ReportDocuments.StaffModel(SampleValues.Create<StaffReport>(), options);
        }

        var report = SampleValues.Create<AccountReport>();
        var chart = new ReportChart("tickets", "Tickets per week", [137, 80, 78, 71]);
        return ReportDocuments.Model(report, [chart], c => c.DataUri, name == "presentation.html.sbn" ? "presentation" : "page", options);
    }

    public string Render(string name, Template template, object model, bool strict) => RenderText(template, model);

    /// <summary>Renders as the product does: always strict (an unknown variable or member is an error).</summary>
    internal static string RenderText(Template template, object model)
    {
        var context = new TemplateContext { StrictVariables = true, EnableRelaxedMemberAccess = false, LoopLimit = 100_000, MemberRenamer = StandardMemberRenamer.Default };
        var globals = new ScriptObject();
        globals.Import(typeof(ReportFunctions), renamer: StandardMemberRenamer.Default);
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        context.PushGlobal(globals);
        return template.Render(context);
    }
}

/// <summary>A report template is broken: nothing was rendered, stored or sent.</summary>
internal sealed class ReportTemplateException(string file, int line, string problem)
    : Exception($"Report template {file}, line {line}: {problem}")
{
    public string File { get; } = file;

    public int Line { get; } = line;
}

/// <summary>Formatting functions the templates call (<c>format_minutes</c>, <c>format_percent</c>...).</summary>
internal static class ReportFunctions
{
    /// <summary>Business minutes as "2 h 05 min" ("-" when there is nothing to measure).</summary>
    public static string FormatMinutes(object? minutes)
    {
        if (minutes is null)
        {
            return "-";
        }

        var total = (long)Math.Round(Convert.ToDouble(minutes, CultureInfo.InvariantCulture));
        return total < 60 ? $"{total} min" : $"{total / 60} h {total % 60:D2} min";
    }

    /// <summary>A percentage as "97.5%" ("-" when there is nothing to measure).</summary>
    public static string FormatPercent(object? value) =>
        value is null ? "-" : ReportBuilder.Pct(Convert.ToDouble(value, CultureInfo.InvariantCulture), 3);

    /// <summary>Minutes as hours with two decimals: "7.50 h".</summary>
    public static string FormatHours(object? minutes) =>
        minutes is null ? "-" : (Convert.ToDouble(minutes, CultureInfo.InvariantCulture) / 60).ToString("0.00", CultureInfo.InvariantCulture) + " h";

    /// <summary>An amount with two decimals.</summary>
    public static string FormatMoney(object? amount) =>
        amount is null ? "-" : Convert.ToDecimal(amount, CultureInfo.InvariantCulture).ToString("#,##0.00", CultureInfo.InvariantCulture);

    /// <summary>An instant as "2026-10-26 10:00" in the given IANA zone.</summary>
    public static string FormatTime(DateTimeOffset instant, string timeZone) =>
        NodaTime.Instant.FromDateTimeOffset(instant).InZone(ReportPeriod.Zone(timeZone)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
