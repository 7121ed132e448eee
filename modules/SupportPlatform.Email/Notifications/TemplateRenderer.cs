using System.Collections.Concurrent;
using System.Reflection;
using Scriban;
using Scriban.Runtime;
using SupportPlatform.Core;

namespace SupportPlatform.Email.Notifications;

/// <summary>A rendered message: subject, plain text, and HTML when the template has an HTML part.</summary>
internal sealed record RenderedMail(string Subject, string Text, string? Html);

/// <summary>
/// Renders mail templates (Scriban). A template <c>name</c> is the file <c>name.sbn</c>: a first line
/// <c>Subject: ...</c>, a blank line, then the plain-text body; an optional <c>name.html.sbn</c> is the HTML body (use
/// <c>html.escape</c> on values there). The shipped templates are embedded; a file of the same name in the data folder's
/// <c>templates</c> folder replaces one, and is re-read when it changes. Template errors name the file and line.
/// </summary>
internal sealed class TemplateRenderer(PlatformPaths paths)
{
    private readonly ConcurrentDictionary<string, (DateTime Stamp, Template? Template)> cache = new(StringComparer.Ordinal);

    /// <summary>The names of the shipped templates.</summary>
    public static IReadOnlyList<string> Shipped { get; } = typeof(TemplateRenderer).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("Templates/", StringComparison.Ordinal))
        .Select(n => n["Templates/".Length..])
        .Order(StringComparer.Ordinal)
        .ToList();

    public RenderedMail Render(string name, object model) => Render(name, model, null);

    /// <summary>
    /// Renders <paramref name="name"/> with the account's own version when the data folder has one
    /// (<c>templates/accounts/&lt;accountId&gt;/name.sbn</c>), else the MSP's or the shipped one.
    /// </summary>
    public RenderedMail RenderForAccount(string accountId, string name, object model) =>
        Render(name, model, SupportPlatform.Accounts.Contracts.AccountKeys.IsValidId(accountId) ? $"accounts/{accountId}/" : null);

    private RenderedMail Render(string name, object model, string? accountFolder)
    {
        var text = (accountFolder is null ? null : LoadFile(accountFolder + name + ".sbn")) ?? Load(name + ".sbn")
            ?? throw new InvalidOperationException($"There is no mail template '{name}.sbn'.");
        var html = accountFolder is not null && LoadFile(accountFolder + name + ".sbn") is not null
            ? LoadFile(accountFolder + name + ".html.sbn")
            : Load(name + ".html.sbn");
        var context = new TemplateContext { StrictVariables = false, LoopLimit = 1000 };
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        context.PushGlobal(globals);

        var rendered = text.Render(context).Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = rendered.IndexOf("\n\n", StringComparison.Ordinal);
        var head = split < 0 ? rendered : rendered[..split];
        if (!head.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Mail template '{name}.sbn' must start with a 'Subject:' line followed by a blank line.");
        }

        var subject = head["Subject:".Length..].Replace('\n', ' ').Trim();
        var body = split < 0 ? "" : rendered[(split + 2)..];
        return new RenderedMail(subject, body, html?.Render(context));
    }

    /// <summary>A template from the data folder only (no shipped fallback).</summary>
    private Template? LoadFile(string file) => File.Exists(Path.Combine(paths.TemplatesPath, file)) ? Load(file) : null;

    private Template? Load(string file)
    {
        var overridePath = Path.Combine(paths.TemplatesPath, file);
        var stamp = File.Exists(overridePath) ? File.GetLastWriteTimeUtc(overridePath) : DateTime.MinValue;
        if (cache.TryGetValue(file, out var cached) && cached.Stamp == stamp)
        {
            return cached.Template;
        }

        string? source;
        if (stamp != DateTime.MinValue)
        {
            source = File.ReadAllText(overridePath);
        }
        else
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Templates/" + file);
            source = stream is null ? null : new StreamReader(stream).ReadToEnd();
        }

        Template? template = null;
        if (source is not null)
        {
            template = Template.Parse(source, stamp == DateTime.MinValue ? file : overridePath);
            if (template.HasErrors)
            {
                throw new InvalidOperationException($"Mail template {file} has errors: {string.Join("; ", template.Messages)}");
            }
        }

        cache[file] = (stamp, template);
        return template;
    }
}
