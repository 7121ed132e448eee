using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;
using SupportPlatform.Core;
using SupportPlatform.Reports.Domain;

namespace SupportPlatform.Reports.Documents;

/// <summary>
/// The report templates (Scriban): <c>report.sbn</c> (first line <c>Subject: ...</c>, a blank line, the text body),
/// <c>report.html.sbn</c> (mail, portal page and PDF), <c>presentation.html.sbn</c> and <c>staff.html.sbn</c>. The shipped
/// ones are embedded; the data folder overrides them per MSP (<c>templates/reports/&lt;file&gt;</c>) and per account
/// (<c>templates/reports/accounts/&lt;account id&gt;/&lt;file&gt;</c>, which wins). A template that does not parse or
/// fails while rendering (strict: an unknown variable is an error) raises <see cref="ReportTemplateException"/> naming
/// the file and the line; callers render everything before they store or send anything.
/// </summary>
internal sealed class ReportTemplates(PlatformPaths paths)
{
    private readonly ConcurrentDictionary<string, (DateTime Stamp, Template Template)> cache = new(StringComparer.Ordinal);

    public string Folder => Path.Combine(paths.TemplatesPath, "reports");

    public (string Subject, string Text) RenderMail(string? accountId, object model)
    {
        var text = Render(accountId, "report.sbn", model).Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var head = (split < 0 ? text : text[..split]).Trim();
        if (!head.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
        {
            var (file, _) = Locate(accountId, "report.sbn");
            throw new ReportTemplateException(file, 1, "the template must start with a 'Subject:' line followed by a blank line.");
        }

        return (head["Subject:".Length..].Replace('\n', ' ').Trim(), split < 0 ? "" : text[(split + 2)..]);
    }

    public string Render(string? accountId, string name, object model)
    {
        var (file, template) = Load(accountId, name);
        var context = new TemplateContext { StrictVariables = true, EnableRelaxedMemberAccess = false, LoopLimit = 100_000, MemberRenamer = StandardMemberRenamer.Default };
        var globals = new ScriptObject();
        globals.Import(typeof(ReportFunctions), renamer: StandardMemberRenamer.Default);
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        context.PushGlobal(globals);
        try
        {
            return template.Render(context);
        }
        catch (ScriptRuntimeException ex)
        {
            throw new ReportTemplateException(file, ex.Span.Start.Line + 1, ex.OriginalMessage);
        }
    }

    private (string File, string? Path) Locate(string? accountId, string name)
    {
        if (accountId is not null)
        {
            var own = System.IO.Path.Combine(Folder, "accounts", accountId, name);
            if (File.Exists(own))
            {
                return (own, own);
            }
        }

        var msp = System.IO.Path.Combine(Folder, name);
        return File.Exists(msp) ? (msp, msp) : ("(shipped) " + name, null);
    }

    private (string File, Template Template) Load(string? accountId, string name)
    {
        var (file, path) = Locate(accountId, name);
        var stamp = path is null ? DateTime.MinValue : File.GetLastWriteTimeUtc(path);
        if (cache.TryGetValue(file, out var cached) && cached.Stamp == stamp)
        {
            return (file, cached.Template);
        }

        string source;
        if (path is not null)
        {
            source = File.ReadAllText(path);
        }
        else
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ReportTemplates/" + name)
                ?? throw new InvalidOperationException($"There is no report template '{name}'.");
            source = new StreamReader(stream).ReadToEnd();
        }

        var template = Template.Parse(source, file);
        if (template.HasErrors)
        {
            var first = template.Messages.First(m => m.Type == ParserMessageType.Error);
            throw new ReportTemplateException(file, first.Span.Start.Line + 1, first.Message);
        }

        cache[file] = (stamp, template);
        return (file, template);
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
