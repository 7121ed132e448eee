using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.Security;
using SupportPlatform.Knowledge.Contracts;
using SupportPlatform.Templates.Contracts;
using SupportPlatform.Templates.Rendering;
using SupportPlatform.Templates.Store;

namespace SupportPlatform.Templates.Api;

/// <summary>The body of a save, validation or preview: the template text, and the account for a per-account version.</summary>
internal sealed record TemplateEdit(string? Source, string? AccountId);

/// <summary>
/// The template admin API, <c>/api/admin/templates</c> (administrators only): the templates of every kind with the
/// variables their model offers and where the one in effect comes from; shipped and current text; validation and preview
/// against a sample model; save (refused with 422 naming the line when invalid: nothing invalid is stored), history,
/// diff, restore of an old version, and revert to the data-folder file or shipped template.
/// </summary>
internal static class TemplatesApi
{
    public static void MapTemplatesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/admin/templates").WithTags("Templates").RequireAuthorization(PlatformPolicies.Admin);
        group.MapGet("/", List).WithName("ListTemplates")
            .WithSummary("Every template by kind (mail, reports, billing): description, the variables of its model, and where the one in effect comes from (saved, file, shipped).");
        group.MapGet("/{kind}/{name}", Get).WithName("GetTemplate")
            .WithSummary("A template's shipped text, data-folder file, saved override and the text in effect (accountId: an account's own version).");
        group.MapPost("/{kind}/{name}/validate", Validate).WithName("ValidateTemplate")
            .WithSummary("Checks a text: Scriban parse errors, a render against a sample model in strict mode (unknown members), the mail 'Subject:' rule; problems with line and column.");
        group.MapPost("/{kind}/{name}/preview", Preview).WithName("PreviewTemplate")
            .WithSummary("Renders a text (or, without one, the template in effect) with a sample model: mail subject and text, or HTML; 422 with the problems when it cannot.");
        group.MapPut("/{kind}/{name}", Save).WithName("SaveTemplate")
            .WithSummary("Saves a text as a new version (every node uses it at once); 422 naming the line when invalid, and nothing is stored.");
        group.MapDelete("/{kind}/{name}", Revert).WithName("RevertTemplate")
            .WithSummary("Reverts to the data-folder file or the shipped template (recorded as a version).");
        group.MapGet("/{kind}/{name}/versions", Versions).WithName("ListTemplateVersions")
            .WithSummary("Every saved version (who, when), newest first.");
        group.MapGet("/{kind}/{name}/versions/{version:int}", Version).WithName("GetTemplateVersion")
            .WithSummary("The text of one version (a revert has none).");
        group.MapGet("/{kind}/{name}/diff", Diff).WithName("DiffTemplateVersions")
            .WithSummary("Line differences between versions 'from' and 'to' (0: the shipped text; a revert compares as the shipped text).");
        group.MapPost("/{kind}/{name}/versions/{version:int}/restore", Restore).WithName("RestoreTemplateVersion")
            .WithSummary("Saves an old version's text again as the newest version, after checking it as a save does.");
    }

    private static async Task<IResult> List(TemplateResolver resolver, TemplateStore store, CancellationToken ct) =>
        Results.Ok(await ListAsync(resolver, store, ct));

    private static async Task<object> ListAsync(TemplateResolver resolver, TemplateStore store, CancellationToken ct)
    {
        var current = await store.CurrentAllAsync(ct);
        var kinds = new List<object>();
        foreach (var kind in resolver.Kinds.OrderBy(k => k.Kind, StringComparer.Ordinal))
        {
            var templates = new List<object>();
            foreach (var t in kind.Templates)
            {
                var text = await resolver.TextAsync(kind.Kind, t.Name, null, ct);
                templates.Add(new
                {
                    t.Name,
                    t.Description,
                    t.SubjectLine,
                    t.Html,
                    InEffect = Origin(text.Origin),
                    text.Version,
                    AccountOverrides = current.Keys.Where(k => k.Kind == kind.Kind && k.Name == t.Name && k.AccountId.Length > 0)
                        .Select(k => k.AccountId).Order(StringComparer.Ordinal).ToList(),
                });
            }

            kinds.Add(new { kind.Kind, kind.Title, kind.PerAccount, Templates = templates });
        }

        return kinds;
    }

    private static async Task<IResult> Get(string kind, string name, string? accountId, TemplateResolver resolver, TemplateStore store, IGrainFactory grains, CancellationToken ct)
    {
        var (target, error) = await Find(kind, name, accountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        var (k, t) = target;
        var text = await resolver.TextAsync(kind, name, accountId, ct);
        var saved = await store.CurrentAsync(kind, name, accountId ?? "", ct);
        return Results.Ok(new
        {
            Kind = kind,
            t.Name,
            t.Description,
            t.SubjectLine,
            t.Html,
            AccountId = accountId,
            Variables = TemplateChecker.Variables(k.SampleModel(name)),
            Shipped = k.Shipped(name),
            File = resolver.ReadFile(resolver.FilePath(k, name, null)),
            FilePath = resolver.FilePath(k, name, null),
            AccountFile = accountId is null ? null : resolver.ReadFile(resolver.FilePath(k, name, accountId)),
            Saved = saved is null ? null : new { saved.Version, saved.Source, saved.SavedBy, saved.SavedAt },
            Current = new { text.Source, InEffect = Origin(text.Origin), text.Label, text.Version },
        });
    }

    private static async Task<IResult> Validate(string kind, string name, TemplateEdit edit, TemplateResolver resolver, IGrainFactory grains)
    {
        var (target, error) = await Find(kind, name, edit.AccountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        if (edit.Source is null)
        {
            return Problem(400, "source-missing", "Send the template text as 'source'.");
        }

        var check = target.Check(edit.Source);
        return Results.Ok(new { check.Valid, check.Problems });
    }

    private static async Task<IResult> Preview(string kind, string name, TemplateEdit edit, TemplateResolver resolver, IGrainFactory grains, CancellationToken ct)
    {
        var (target, error) = await Find(kind, name, edit.AccountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        var source = edit.Source ?? (await resolver.TextAsync(kind, name, edit.AccountId, ct)).Source;
        var check = target.Check(source);
        return check.Valid ? Results.Ok(check.Preview) : Invalid(check);
    }

    private static async Task<IResult> Save(string kind, string name, TemplateEdit edit, ClaimsPrincipal user, TemplateResolver resolver, TemplateStore store, IGrainFactory grains, CancellationToken ct)
    {
        var (target, error) = await Find(kind, name, edit.AccountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        if (edit.Source is null)
        {
            return Problem(400, "source-missing", "Send the template text as 'source'.");
        }

        var check = target.Check(edit.Source);
        if (!check.Valid)
        {
            return Invalid(check);
        }

        var saved = await store.AppendAsync(kind, name, edit.AccountId ?? "", edit.Source, user.UserId() ?? "?", ct);
        return saved is null ? Conflict() : Results.Ok(Summary(saved));
    }

    private static async Task<IResult> Revert(string kind, string name, string? accountId, ClaimsPrincipal user, TemplateResolver resolver, TemplateStore store, IGrainFactory grains, CancellationToken ct)
    {
        var (target, error) = await Find(kind, name, accountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        if (await store.CurrentAsync(kind, name, accountId ?? "", ct) is null)
        {
            return Problem(404, "no-saved-template", $"There is no saved {kind} template '{name}'{For(accountId)} to revert.");
        }

        var saved = await store.AppendAsync(kind, name, accountId ?? "", null, user.UserId() ?? "?", ct);
        if (saved is null)
        {
            return Conflict();
        }

        var text = await resolver.TextAsync(kind, name, accountId, ct);
        return Results.Ok(new { saved.Version, InEffect = Origin(text.Origin) });
    }

    private static async Task<IResult> Versions(string kind, string name, string? accountId, TemplateResolver resolver, TemplateStore store, IGrainFactory grains, CancellationToken ct)
    {
        var (target, error) = await Find(kind, name, accountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        return Results.Ok((await store.VersionsAsync(kind, name, accountId ?? "", ct)).Select(Summary));
    }

    private static async Task<IResult> Version(string kind, string name, int version, string? accountId, TemplateResolver resolver, TemplateStore store, IGrainFactory grains, CancellationToken ct)
    {
        var (target, error) = await Find(kind, name, accountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        var found = await store.VersionAsync(kind, name, accountId ?? "", version, ct);
        return found is null
            ? Problem(404, "no-version", $"The {kind} template '{name}'{For(accountId)} has no version {version}.")
            : Results.Ok(new { found.Version, found.Source, Reverted = found.Source is null, found.SavedBy, found.SavedAt });
    }

    private static async Task<IResult> Diff(string kind, string name, int from, int to, string? accountId, TemplateResolver resolver, TemplateStore store, IGrainFactory grains, CancellationToken ct)
    {
        var (target, error) = await Find(kind, name, accountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        var shipped = target.Kind.Shipped(name);
        var versions = await store.VersionsAsync(kind, name, accountId ?? "", ct);
        string? Text(int v) => v == 0 ? shipped : versions.FirstOrDefault(x => x.Version == v) is { } found ? found.Source ?? shipped : null;
        if (Text(from) is not { } a || Text(to) is not { } b)
        {
            return Problem(404, "no-version", $"The {kind} template '{name}'{For(accountId)} has no version {(Text(from) is null ? from : to)} (0 is the shipped text).");
        }

        return Results.Ok(new { From = from, To = to, Lines = LineDiff.Compare(a, b) });
    }

    private static async Task<IResult> Restore(string kind, string name, int version, string? accountId, ClaimsPrincipal user, TemplateResolver resolver, TemplateStore store, IGrainFactory grains, CancellationToken ct)
    {
        var (target, error) = await Find(kind, name, accountId, resolver, grains);
        if (target is null)
        {
            return error!;
        }

        var found = await store.VersionAsync(kind, name, accountId ?? "", version, ct);
        if (found?.Source is not { } source)
        {
            return Problem(404, "no-version", $"The {kind} template '{name}'{For(accountId)} has no saved text as version {version}.");
        }

        var check = target.Check(source);
        if (!check.Valid)
        {
            return Invalid(check);
        }

        var saved = await store.AppendAsync(kind, name, accountId ?? "", source, user.UserId() ?? "?", ct);
        return saved is null ? Conflict() : Results.Ok(Summary(saved));
    }

    /// <summary>The kind and template (the account, when given, exists and the kind has per-account versions); else the problem.</summary>
    private static async Task<(Target? Target, IResult? Error)> Find(string kind, string name, string? accountId, TemplateResolver resolver, IGrainFactory grains)
    {
        if (resolver.Kind(kind) is not { } k)
        {
            return (null, Problem(404, "no-template-kind", $"There is no template kind '{kind}'; the kinds are {string.Join(", ", resolver.Kinds.Select(x => x.Kind).Order(StringComparer.Ordinal))}."));
        }

        if (k.Templates.FirstOrDefault(t => t.Name == name) is not { } template)
        {
            return (null, Problem(404, "no-template", $"There is no {kind} template '{name}'."));
        }

        if (accountId is not null && !k.PerAccount)
        {
            return (null, Problem(400, "no-account-templates", $"{k.Title} templates have no per-account versions; leave out accountId."));
        }

        if (accountId is not null && (!AccountKeys.IsValidId(accountId) || await grains.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId)).Get() is null))
        {
            return (null, Problem(404, "no-account", $"There is no account '{accountId}'."));
        }

        return (new Target(k, template), null);
    }

    /// <summary>A template found by <see cref="Find"/>.</summary>
    private sealed record Target(ITemplateKind Kind, TemplateDescriptor Template)
    {
        public TemplateCheck Check(string source) => TemplateChecker.Check(Kind, Template, source);
    }

    private static object Summary(TemplateVersion v) => new { v.Version, Reverted = v.Source is null, v.SavedBy, v.SavedAt, Length = v.Source?.Length };

    private static string For(string? accountId) => accountId is null ? "" : $" of account '{accountId}'";

    private static string Origin(TemplateOrigin origin) => origin switch
    {
        TemplateOrigin.AccountDatabase => "account-saved",
        TemplateOrigin.AccountFile => "account-file",
        TemplateOrigin.Database => "saved",
        TemplateOrigin.File => "file",
        _ => "shipped",
    };

    private static IResult Invalid(TemplateCheck check) =>
        Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "invalid-template",
            detail: string.Join(" ", check.Problems.Select(p => $"Line {p.Line}, column {p.Column}: {p.Message}")),
            extensions: new Dictionary<string, object?> { ["problems"] = check.Problems });

    private static IResult Conflict() =>
        Problem(409, "saved-meanwhile", "Someone saved this template at the same moment; reload it and save again.");

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);
}
