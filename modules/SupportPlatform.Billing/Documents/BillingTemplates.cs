using System.Collections.Concurrent;
using System.Reflection;
using Scriban;
using Scriban.Runtime;
using SupportPlatform.Core;

namespace SupportPlatform.Billing.Documents;

/// <summary>
/// Renders the billing templates (Scriban): <c>estimate-sent.sbn</c> (first line <c>Subject: ...</c>, a blank line, the
/// text body) with <c>estimate-sent.html.sbn</c>, and <c>invoice.html.sbn</c>. The shipped ones are embedded; a file of
/// the same name in the data folder's <c>templates</c> folder replaces one (as for the email module's templates).
/// </summary>
internal sealed class BillingTemplates(PlatformPaths paths)
{
    private readonly ConcurrentDictionary<string, (DateTime Stamp, Template Template)> cache = new(StringComparer.Ordinal);

    public (string Subject, string Text, string Html) RenderMail(string name, object model)
    {
        var text = Render(name + ".sbn", model).Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        if (!head.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Billing template '{name}.sbn' must start with a 'Subject:' line followed by a blank line.");
        }

        return (head["Subject:".Length..].Replace('\n', ' ').Trim(), split < 0 ? "" : text[(split + 2)..], Render(name + ".html.sbn", model));
    }

    public string Render(string file, object model)
    {
        var context = new TemplateContext { StrictVariables = false, LoopLimit = 10_000 };
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        context.PushGlobal(globals);
        return Load(file).Render(context);
    }

    private Template Load(string file)
    {
        var overridePath = Path.Combine(paths.TemplatesPath, file);
        var stamp = File.Exists(overridePath) ? File.GetLastWriteTimeUtc(overridePath) : DateTime.MinValue;
        if (cache.TryGetValue(file, out var cached) && cached.Stamp == stamp)
        {
            return cached.Template;
        }

        string source;
        if (stamp != DateTime.MinValue)
        {
            source = File.ReadAllText(overridePath);
        }
        else
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("BillingTemplates/" + file)
                ?? throw new InvalidOperationException($"There is no billing template '{file}'.");
            source = new StreamReader(stream).ReadToEnd();
        }

        var template = Template.Parse(source, stamp == DateTime.MinValue ? file : overridePath);
        if (template.HasErrors)
        {
            throw new InvalidOperationException($"Billing template {file} has errors: {string.Join("; ", template.Messages)}");
        }

        cache[file] = (stamp, template);
        return template;
    }
}
