using System.Reflection;
using Scriban;
using Scriban.Runtime;
using SupportPlatform.Templates.Contracts;

namespace SupportPlatform.Email.Notifications;

/// <summary>A rendered message: subject, plain text, and HTML when the template has an HTML part.</summary>
internal sealed record RenderedMail(string Subject, string Text, string? Html);

/// <summary>
/// Renders mail templates (Scriban). A template <c>name</c> is the file <c>name.sbn</c>: a first line
/// <c>Subject: ...</c>, a blank line, then the plain-text body; <c>name.html.sbn</c> is the HTML body (use
/// <c>html.escape</c> on values there; one that renders empty means no HTML part). Each file in effect comes from the
/// templates module (<see cref="ITemplateSource"/>): an account's saved override or its file in
/// <c>templates/accounts/&lt;accountId&gt;/</c>, the override saved on the admin page, a file of the same name in the
/// data folder's <c>templates</c> folder, else the shipped one. Template errors name the template and line.
/// </summary>
internal sealed class TemplateRenderer(ITemplateSource source)
{
    /// <summary>The names of the shipped templates.</summary>
    public static IReadOnlyList<string> Shipped { get; } = typeof(TemplateRenderer).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("Templates/", StringComparison.Ordinal))
        .Select(n => n["Templates/".Length..])
        .Order(StringComparer.Ordinal)
        .ToList();

    public Task<RenderedMail> RenderAsync(string name, object model, CancellationToken cancellationToken) => RenderAsync(name, model, null, cancellationToken);

    /// <summary>Renders <paramref name="name"/> with the account's own version when it has one, else the MSP's or the shipped one.</summary>
    public Task<RenderedMail> RenderForAccountAsync(string accountId, string name, object model, CancellationToken cancellationToken) =>
        RenderAsync(name, model, accountId, cancellationToken);

    private async Task<RenderedMail> RenderAsync(string name, object model, string? accountId, CancellationToken cancellationToken)
    {
        if (!MailTemplateKind.All.Any(t => t.Name == name + ".sbn"))
        {
            throw new InvalidOperationException($"There is no mail template '{name}.sbn'.");
        }

        var text = await source.GetAsync(MailTemplateKind.Name, name + ".sbn", accountId, cancellationToken);
        var html = await source.GetAsync(MailTemplateKind.Name, name + ".html.sbn", accountId, cancellationToken);
        var rendered = MailTemplateKind.RenderText(text.Template, model, strict: false).Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = rendered.IndexOf("\n\n", StringComparison.Ordinal);
        var head = split < 0 ? rendered : rendered[..split];
        if (!head.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Mail template {text.Label} must start with a 'Subject:' line followed by a blank line.");
        }

        var subject = head["Subject:".Length..].Replace('\n', ' ').Trim();
        var body = split < 0 ? "" : rendered[(split + 2)..];
        var htmlBody = MailTemplateKind.RenderText(html.Template, model, strict: false);
        return new RenderedMail(subject, body, string.IsNullOrWhiteSpace(htmlBody) ? null : htmlBody);
    }

    /// <summary>The shipped text of a file; empty for an HTML part the product does not ship.</summary>
    internal static string ShippedText(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Templates/" + file);
        return stream is null ? "" : new StreamReader(stream).ReadToEnd();
    }
}

/// <summary>The mail templates on the template admin page: requester notifications and mail answers.</summary>
internal sealed class MailTemplateKind : ITemplateKind
{
    public const string Name = "mail";

    public static readonly IReadOnlyList<TemplateDescriptor> All =
    [
        new("ticket-created.sbn", "Acknowledgement to the requester of a ticket opened in the portal, by phone or through the API: subject and text.", SubjectLine: true),
        new("ticket-created.html.sbn", "The HTML part of that acknowledgement.", Html: true),
        new("ticket-reply.sbn", "A public reply of an agent, sent to the requester: subject and text.", SubjectLine: true),
        new("ticket-reply.html.sbn", "The HTML part of the reply.", Html: true),
        new("ticket-status.sbn", "The ticket was resolved, reopened or waits for the requester: subject and text.", SubjectLine: true),
        new("ticket-status.html.sbn", "The HTML part of the status message.", Html: true),
        new("mail-acknowledgement.sbn", "Answer to mail that opened a ticket (per account: an account may have its own): subject and text.", SubjectLine: true),
        new("mail-acknowledgement.html.sbn", "Optional HTML part of that answer (none shipped; empty means none).", Html: true),
        new("mail-rejected.sbn", "Answer to mail refused for its size or attachments, with the limits: subject and text.", SubjectLine: true),
        new("mail-rejected.html.sbn", "Optional HTML part of that answer (none shipped; empty means none).", Html: true),
    ];

    string ITemplateKind.Kind => Name;

    public string Title => "Mail";

    public string Folder => "";

    public bool PerAccount => true;

    public IReadOnlyList<TemplateDescriptor> Templates => All;

    public string Shipped(string name) => TemplateRenderer.ShippedText(name);

    public object SampleModel(string name)
    {
        var ticket = SampleValues.Create<SupportPlatform.Tickets.Contracts.TicketView>() with { Id = 1042, Subject = "VPN is down at the branch office" };
        var requester = new SupportPlatform.Core.People.Contact("jane", "Jane Client", "jane@client.example");
        var options = new Outbox.EmailOptions { From = "Acme Support <support@msp.example>", PublicUrl = "https://support.msp.example" };
        var file = name.Replace(".html.sbn", "", StringComparison.Ordinal).Replace(".sbn", "", StringComparison.Ordinal);
        return file switch
        {
            "ticket-reply" => RequesterNotifier.Model(ticket, requester, options, RequesterNotifier.ReplyExtra("We restarted the VPN gateway.", "Alice Agent")),
            "ticket-status" => RequesterNotifier.Model(ticket, requester, options, RequesterNotifier.StatusExtra("Resolved", "We have resolved your request.", "Gateway restarted.")),
            "mail-acknowledgement" => Inbound.InboundProcessor.AcknowledgementModel(ticket, SampleValues.Create<SupportPlatform.Accounts.Contracts.AccountView>(), "Jane Client", "jane@client.example", options),
            "mail-rejected" => Inbound.InboundProcessor.RejectedModel("Big logs", "The message is larger than 25 MiB.", 26_214_400, 26_214_400, 10, options),
            _ => RequesterNotifier.Model(ticket, requester, options, new { }),
        };
    }

    public string Render(string name, Template template, object model, bool strict) => RenderText(template, model, strict);

    /// <summary>Renders as the product does; strict (validation) makes unknown variables and members errors.</summary>
    internal static string RenderText(Template template, object model, bool strict)
    {
        var context = new TemplateContext { StrictVariables = strict, EnableRelaxedMemberAccess = !strict, LoopLimit = 1000 };
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        context.PushGlobal(globals);
        return template.Render(context);
    }
}
