using System.Collections;
using System.Reflection;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;
using SupportPlatform.Templates.Contracts;

namespace SupportPlatform.Templates.Rendering;

/// <summary>A problem in a template: 1-based line and column, and what is wrong.</summary>
internal sealed record TemplateProblem(int Line, int Column, string Message);

/// <summary>What a template renders with the sample model: mail subject and text, or HTML.</summary>
internal sealed record TemplatePreview(string? Subject, string? Text, string? Html);

/// <summary>The outcome of checking a template: its problems (none: it may be saved) and, when it rendered, the preview.</summary>
internal sealed record TemplateCheck(IReadOnlyList<TemplateProblem> Problems, TemplatePreview? Preview)
{
    public bool Valid => Problems.Count == 0;
}

/// <summary>
/// Checks an edited template before it is stored: it must parse (Scriban's errors with line and column), render with a
/// sample model of the real shape in strict mode (an unknown variable or member, a wrong call, is an error with its
/// line), and a mail text part must start with a <c>Subject:</c> line and a blank line.
/// </summary>
internal static class TemplateChecker
{
    public static TemplateCheck Check(ITemplateKind kind, TemplateDescriptor descriptor, string source)
    {
        if (source.Length > Store.TemplateStore.MaxSourceLength)
        {
            return Fail(1, 1, $"The template is {source.Length} characters long; at most {Store.TemplateStore.MaxSourceLength} are allowed.");
        }

        var template = Template.Parse(source, descriptor.Name);
        if (template.HasErrors)
        {
            return new TemplateCheck([.. template.Messages.Where(m => m.Type == ParserMessageType.Error)
                .Select(m => new TemplateProblem(m.Span.Start.Line + 1, m.Span.Start.Column + 1, m.Message))], null);
        }

        string rendered;
        try
        {
            rendered = kind.Render(descriptor.Name, template, kind.SampleModel(descriptor.Name), strict: true);
        }
        catch (ScriptRuntimeException ex)
        {
            return Fail(ex.Span.Start.Line + 1, ex.Span.Start.Column + 1, ex.OriginalMessage);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or InvalidCastException or TargetInvocationException)
        {
            return Fail(1, 1, "Rendering failed: " + (ex.InnerException ?? ex).Message);
        }

        if (!descriptor.SubjectLine)
        {
            return new TemplateCheck([], descriptor.Html ? new TemplatePreview(null, null, rendered) : new TemplatePreview(null, rendered, null));
        }

        var text = rendered.Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var head = (split < 0 ? text : text[..split]).Trim();
        if (!head.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase) || split < 0)
        {
            return Fail(1, 1, "A mail template must start with a 'Subject: ...' line followed by a blank line, then the text.");
        }

        var subject = head["Subject:".Length..].Replace('\n', ' ').Trim();
        if (subject.Length == 0)
        {
            return Fail(1, 1, "The 'Subject:' line renders empty: the mail would have no subject.");
        }

        return new TemplateCheck([], new TemplatePreview(subject, text[(split + 2)..], null));
    }

    /// <summary>The variables the sample model offers (<c>ticket.subject</c>, <c>report.breaches[].ticket_id</c>...).</summary>
    public static IReadOnlyList<string> Variables(object model)
    {
        var names = new List<string>();
        Walk(model, "", 0);
        return names;

        void Walk(object? value, string prefix, int depth)
        {
            if (names.Count > 400 || depth > 5)
            {
                return;
            }

            switch (value)
            {
                case null or string or ValueType:
                    if (prefix.Length > 0)
                    {
                        names.Add(prefix);
                    }

                    return;
                case IDictionary<string, object?> dictionary:
                    foreach (var (key, item) in dictionary)
                    {
                        Walk(item, Join(prefix, key), depth + 1);
                    }

                    return;
                case IDictionary:
                    names.Add(prefix);
                    return;
                case IEnumerable list:
                    var first = list.Cast<object?>().FirstOrDefault();
                    if (first is null or string or ValueType)
                    {
                        names.Add(prefix + "[]");
                    }
                    else
                    {
                        Walk(first, prefix + "[]", depth + 1);
                    }

                    return;
                default:
                    foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
                    {
                        Walk(property.GetValue(value), Join(prefix, StandardMemberRenamer.Default(property)), depth + 1);
                    }

                    return;
            }
        }

        static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
    }

    private static TemplateCheck Fail(int line, int column, string message) => new([new TemplateProblem(line, column, message)], null);
}
