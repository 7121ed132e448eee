using Scriban;

namespace SupportPlatform.Templates.Contracts;

/// <summary>One template file of a kind: its file name (<c>ticket-created.sbn</c>), what it is for, and its rules.</summary>
/// <param name="Name">The file name, also the name in the API and in the data folder.</param>
/// <param name="Description">What the template produces and when it is used.</param>
/// <param name="SubjectLine">The rendered output starts with a <c>Subject: ...</c> line and a blank line (mail text parts).</param>
/// <param name="Html">The output is HTML (previewed as a page).</param>
public sealed record TemplateDescriptor(string Name, string Description, bool SubjectLine = false, bool Html = false);

/// <summary>
/// A family of templates a module ships (mail, reports, billing). The module registers it as a singleton; the templates
/// module lists its templates, resolves overrides (database, data folder, shipped) and validates and previews edits
/// by rendering them with <see cref="SampleModel"/> through <see cref="Render"/>.
/// </summary>
public interface ITemplateKind
{
    /// <summary>Stable name in the API and the database: <c>mail</c>, <c>reports</c>, <c>billing</c>.</summary>
    string Kind { get; }

    /// <summary>Heading shown on the admin page.</summary>
    string Title { get; }

    /// <summary>The folder under the data folder's <c>templates</c> folder whose files override the shipped ones ("" for the folder itself).</summary>
    string Folder { get; }

    /// <summary>Whether an account may have its own version (database, or <c>&lt;Folder&gt;/accounts/&lt;account id&gt;/</c>).</summary>
    bool PerAccount { get; }

    /// <summary>The templates of this kind.</summary>
    IReadOnlyList<TemplateDescriptor> Templates { get; }

    /// <summary>The shipped (embedded) text of <paramref name="name"/>.</summary>
    string Shipped(string name);

    /// <summary>A model of the shape the product renders <paramref name="name"/> with, every member filled with a sample value.</summary>
    object SampleModel(string name);

    /// <summary>
    /// Renders <paramref name="template"/> with <paramref name="model"/> the way the product does; with
    /// <paramref name="strict"/> an unknown variable or member is an error (<see cref="Scriban.Syntax.ScriptRuntimeException"/>).
    /// </summary>
    string Render(string name, Template template, object model, bool strict);
}

/// <summary>Where the template in effect comes from.</summary>
public enum TemplateOrigin
{
    /// <summary>The embedded default.</summary>
    Shipped,

    /// <summary>A file in the data folder (one node's, kept working for existing installs).</summary>
    File,

    /// <summary>A saved override in the database (every node).</summary>
    Database,

    /// <summary>A file of the account in the data folder.</summary>
    AccountFile,

    /// <summary>A saved override of the account in the database.</summary>
    AccountDatabase,
}

/// <summary>A parsed template in effect, with where it came from (<paramref name="Label"/> names it in error messages).</summary>
public sealed record ResolvedTemplate(Template Template, TemplateOrigin Origin, string Label, int? Version);

/// <summary>
/// The template in effect for a kind, name and optional account: the account's database override, the account's
/// data-folder file, the MSP's database override, the MSP's data-folder file, else the shipped one. Database overrides
/// are cached on each node and re-read when any node saves (a cluster-wide version token).
/// </summary>
public interface ITemplateSource
{
    /// <summary>Resolves and parses the template; a template that does not parse raises <see cref="TemplateSourceException"/>.</summary>
    Task<ResolvedTemplate> GetAsync(string kind, string name, string? accountId, CancellationToken cancellationToken = default);
}

/// <summary>A template in effect does not parse: nothing was rendered.</summary>
public sealed class TemplateSourceException(string label, int line, int column, string problem)
    : Exception($"Template {label}, line {line}, column {column}: {problem}")
{
    /// <summary>Which template (origin and name).</summary>
    public string Label { get; } = label;

    /// <summary>1-based line.</summary>
    public int Line { get; } = line;

    /// <summary>1-based column.</summary>
    public int Column { get; } = column;

    /// <summary>The parser's message.</summary>
    public string Problem { get; } = problem;
}
