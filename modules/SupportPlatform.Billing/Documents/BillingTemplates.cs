using System.Reflection;
using Scriban;
using Scriban.Runtime;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Sdk.Billing;
using SupportPlatform.Templates.Contracts;

namespace SupportPlatform.Billing.Documents;

/// <summary>
/// Renders the billing templates (Scriban): <c>estimate-sent.sbn</c> (first line <c>Subject: ...</c>, a blank line, the
/// text body) with <c>estimate-sent.html.sbn</c>, and <c>invoice.html.sbn</c>. The one in effect comes from the templates
/// module (<see cref="ITemplateSource"/>): the override saved on the admin page, a file of the same name in the data
/// folder's <c>templates</c> folder, else the shipped one.
/// </summary>
internal sealed class BillingTemplates(ITemplateSource source)
{
    public async Task<(string Subject, string Text, string Html)> RenderMailAsync(string name, object model, CancellationToken ct)
    {
        var text = (await RenderAsync(name + ".sbn", model, ct)).Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        if (!head.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Billing template '{name}.sbn' must start with a 'Subject:' line followed by a blank line.");
        }

        return (head["Subject:".Length..].Replace('\n', ' ').Trim(), split < 0 ? "" : text[(split + 2)..], await RenderAsync(name + ".html.sbn", model, ct));
    }

    public async Task<string> RenderAsync(string file, object model, CancellationToken ct)
    {
        var template = await source.GetAsync(BillingTemplateKind.Name, file, null, ct);
        return BillingTemplateKind.RenderText(template.Template, model, strict: false);
    }
}

/// <summary>The billing templates on the template admin page.</summary>
internal sealed class BillingTemplateKind(BillingOptions options) : ITemplateKind
{
    public const string Name = "billing";

    private static readonly IReadOnlyList<TemplateDescriptor> All =
    [
        new("estimate-sent.sbn", "The estimate sent to each manager of the account for approval, with the approval link: subject and text.", SubjectLine: true),
        new("estimate-sent.html.sbn", "The HTML part of the estimate mail.", Html: true),
        new("invoice.html.sbn", "An invoice or credit note as HTML (the console and portal page, and the PDF).", Html: true),
    ];

    string ITemplateKind.Kind => Name;

    public string Title => "Billing";

    public string Folder => "";

    public bool PerAccount => false;

    public IReadOnlyList<TemplateDescriptor> Templates => All;

    public string Shipped(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("BillingTemplates/" + name)
            ?? throw new InvalidOperationException($"There is no billing template '{name}'.");
        return new StreamReader(stream).ReadToEnd();
    }

    public object SampleModel(string name) => name == "invoice.html.sbn"
        ? InvoiceRenderer.Model(SampleValues.Create<BillingDocument>())
        : EstimateMailer.MailModel("Jane Client", "Client Ltd", SampleValues.Create<Estimate>(), SampleValues.Create<EstimateVersion>(),
            "sample-token", new DateTimeOffset(2026, 12, 31, 17, 0, 0, TimeSpan.Zero), options);

    public string Render(string name, Template template, object model, bool strict) => RenderText(template, model, strict);

    /// <summary>Renders as the product does; strict (validation) makes unknown variables and members errors.</summary>
    internal static string RenderText(Template template, object model, bool strict)
    {
        var context = new TemplateContext { StrictVariables = strict, EnableRelaxedMemberAccess = !strict, LoopLimit = 10_000 };
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        context.PushGlobal(globals);
        return template.Render(context);
    }
}
