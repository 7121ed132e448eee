using System.Collections.Concurrent;
using Scriban;
using Scriban.Parsing;
using SupportPlatform.Core;
using SupportPlatform.Templates.Contracts;
using SupportPlatform.Templates.Store;

namespace SupportPlatform.Templates.Rendering;

/// <summary>The text of a template in effect and where it comes from, before parsing.</summary>
internal sealed record TemplateText(string Source, TemplateOrigin Origin, string Label, int? Version);

/// <summary>
/// Resolves templates: the account's database override, the account's data-folder file, the MSP's database override,
/// the MSP's data-folder file, then the shipped one. Parsed templates are kept by their text, so an unchanged template
/// is parsed once per node.
/// </summary>
internal sealed class TemplateResolver(IEnumerable<ITemplateKind> kinds, TemplateStore store, PlatformPaths paths) : ITemplateSource
{
    private const int MaxCached = 256;
    private readonly Dictionary<string, ITemplateKind> byKind = kinds.ToDictionary(k => k.Kind, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Label, string Source), Template> parsed = new();
    private readonly ConcurrentDictionary<string, (DateTime Stamp, string Text)> files = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ITemplateKind> Kinds => byKind.Values;

    public ITemplateKind? Kind(string kind) => byKind.GetValueOrDefault(kind);

    public async Task<ResolvedTemplate> GetAsync(string kind, string name, string? accountId, CancellationToken cancellationToken = default)
    {
        var text = await TextAsync(kind, name, accountId, cancellationToken);
        return new ResolvedTemplate(Parse(text.Label, text.Source), text.Origin, text.Label, text.Version);
    }

    /// <summary>The text in effect (see the class summary).</summary>
    public async Task<TemplateText> TextAsync(string kind, string name, string? accountId, CancellationToken ct)
    {
        var k = byKind.GetValueOrDefault(kind) ?? throw new InvalidOperationException($"There is no template kind '{kind}'.");
        if (!k.Templates.Any(t => t.Name == name))
        {
            throw new InvalidOperationException($"There is no {kind} template '{name}'.");
        }

        if (k.PerAccount && !string.IsNullOrEmpty(accountId) && SupportPlatform.Accounts.Contracts.AccountKeys.IsValidId(accountId))
        {
            if (await store.CurrentAsync(kind, name, accountId, ct) is { Source: { } own } v)
            {
                return new TemplateText(own, TemplateOrigin.AccountDatabase, $"{kind}/{name} (account {accountId}, saved version {v.Version})", v.Version);
            }

            if (ReadFile(FilePath(k, name, accountId)) is { } ownFile)
            {
                return new TemplateText(ownFile, TemplateOrigin.AccountFile, FilePath(k, name, accountId), null);
            }
        }

        if (await store.CurrentAsync(kind, name, "", ct) is { Source: { } saved } version)
        {
            return new TemplateText(saved, TemplateOrigin.Database, $"{kind}/{name} (saved version {version.Version})", version.Version);
        }

        if (ReadFile(FilePath(k, name, null)) is { } file)
        {
            return new TemplateText(file, TemplateOrigin.File, FilePath(k, name, null), null);
        }

        return new TemplateText(k.Shipped(name), TemplateOrigin.Shipped, $"(shipped) {kind}/{name}", null);
    }

    /// <summary>The data-folder file that overrides <paramref name="name"/> (for the MSP, or the account).</summary>
    public string FilePath(ITemplateKind kind, string name, string? accountId) =>
        accountId is null
            ? Path.Combine(paths.TemplatesPath, kind.Folder, name)
            : Path.Combine(paths.TemplatesPath, kind.Folder, "accounts", accountId, name);

    /// <summary>The file's text, re-read when it changes; null when there is none.</summary>
    public string? ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var stamp = File.GetLastWriteTimeUtc(path);
        if (files.TryGetValue(path, out var cached) && cached.Stamp == stamp)
        {
            return cached.Text;
        }

        var text = File.ReadAllText(path);
        files[path] = (stamp, text);
        return text;
    }

    /// <summary>Parses <paramref name="source"/>, raising <see cref="TemplateSourceException"/> at its first error.</summary>
    public Template Parse(string label, string source)
    {
        if (parsed.TryGetValue((label, source), out var template))
        {
            return template;
        }

        template = Template.Parse(source, label);
        if (template.HasErrors)
        {
            var first = template.Messages.First(m => m.Type == ParserMessageType.Error);
            throw new TemplateSourceException(label, first.Span.Start.Line + 1, first.Span.Start.Column + 1, first.Message);
        }

        if (parsed.Count >= MaxCached)
        {
            parsed.Clear();
        }

        parsed[(label, source)] = template;
        return template;
    }
}
