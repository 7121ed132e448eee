using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Email.Tests;

/// <summary>One host per back-end for the template admin tests: a data folder with one template file, and an SMTP sink.</summary>
public abstract class TemplateHost : IAsyncLifetime
{
    private readonly TempDirectory data = new("sp-templates-");

    public SmtpSink Smtp { get; } = new();

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>The file of the data folder that overrides <c>mail-rejected.sbn</c> (an existing install's override).</summary>
    public const string FileOverride = "Subject: From the data folder\n\nFILE-OVERRIDE {{ subject }}\n";

    protected abstract Task<string?> DatabaseAsync();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(data.Path, "templates"));
        await File.WriteAllTextAsync(Path.Combine(data.Path, "templates", "mail-rejected.sbn"), FileOverride);
        Factory = new PlatformFactory(dataPath: data.Path, postgres: await DatabaseAsync(), extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Email:From"] = "Acme Support <support@msp.example>",
            ["SupportPlatform:Email:PollInterval"] = "00:00:00.200",
            ["SupportPlatform:Email:PublicUrl"] = "https://support.msp.example",
            ["SupportPlatform:Email:Smtp:Host"] = "127.0.0.1",
            ["SupportPlatform:Email:Smtp:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SupportPlatform:Email:Smtp:Security"] = "None",
        });
        Admin = await Factory.CreateStaffClientAsync("admin", "tina-admin", "Tina Admin");
        (await Admin.PutAsJsonAsync("/api/accounts/client", new { name = "Client Ltd", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Factory.Dispose();
        await Smtp.DisposeAsync();
        data.Dispose();
    }
}

public sealed class SqliteTemplateHost : TemplateHost
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlTemplateHost : TemplateHost
{
    protected override async Task<string?> DatabaseAsync() => await PostgresServer.Shared.CreateDatabaseAsync("templates");
}

public sealed class SqliteTemplateAdminTests(SqliteTemplateHost host) : TemplateAdminTests(host), IClassFixture<SqliteTemplateHost>;

public sealed class PostgreSqlTemplateAdminTests(PostgreSqlTemplateHost host) : TemplateAdminTests(host), IClassFixture<PostgreSqlTemplateHost>;

/// <summary>
/// The template admin API against the real host: invalid templates are refused with their line and nothing is stored;
/// a saved override is what the real mail (through SMTP) and the rendered report use; versions, diff, restore and revert;
/// a data-folder file keeps working below saved overrides; an account's own version.
/// </summary>
public abstract class TemplateAdminTests(TemplateHost host)
{
    private HttpClient Admin => host.Admin;

    private static async Task<JsonNode> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private async Task<JsonArray> Versions(string kind, string name, string query = "") =>
        (await Json(await Admin.GetAsync($"/api/admin/templates/{kind}/{name}/versions{query}"), HttpStatusCode.OK)).AsArray();

    [Fact]
    public async Task List_NamesEveryKind_WithVariables_AndWhereEachComesFrom()
    {
        var kinds = (await Json(await Admin.GetAsync("/api/admin/templates"), HttpStatusCode.OK)).AsArray();
        Assert.Equal(["billing", "mail", "reports"], kinds.Select(k => k!["kind"]!.GetValue<string>()));
        var mail = kinds.Single(k => k!["kind"]!.GetValue<string>() == "mail")!["templates"]!.AsArray();
        Assert.Contains(mail, t => t!["name"]!.GetValue<string>() == "ticket-created.sbn" && t["subjectLine"]!.GetValue<bool>());
        Assert.Equal("file", mail.Single(t => t!["name"]!.GetValue<string>() == "mail-rejected.sbn")!["inEffect"]!.GetValue<string>());

        var created = await Json(await Admin.GetAsync("/api/admin/templates/mail/ticket-created.sbn"), HttpStatusCode.OK);
        var variables = created["variables"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
        Assert.Contains("ticket.subject", variables);
        Assert.Contains("requester.name", variables);
        Assert.StartsWith("Subject:", created["shipped"]!.GetValue<string>(), StringComparison.Ordinal);
        var report = await Json(await Admin.GetAsync("/api/admin/templates/reports/report.html.sbn"), HttpStatusCode.OK);
        Assert.Contains(report["variables"]!.AsArray(), v => v!.GetValue<string>().StartsWith("report.breaches[].", StringComparison.Ordinal));

        // Every shipped template validates against its kind's sample model: the samples have the real shape.
        foreach (var kind in kinds)
        {
            foreach (var t in kind!["templates"]!.AsArray())
            {
                var url = $"/api/admin/templates/{kind["kind"]!.GetValue<string>()}/{t!["name"]!.GetValue<string>()}";
                var shipped = (await Json(await Admin.GetAsync(url), HttpStatusCode.OK))["shipped"]!.GetValue<string>();
                var check = await Json(await Admin.PostAsJsonAsync(url + "/validate", new { source = shipped }), HttpStatusCode.OK);
                Assert.True(check["valid"]!.GetValue<bool>(), $"{url}: {check}");
            }
        }

        await Json(await Admin.GetAsync("/api/admin/templates/mail/no-such.sbn"), HttpStatusCode.NotFound);
        await Json(await Admin.GetAsync("/api/admin/templates/billing/invoice.html.sbn?accountId=client"), HttpStatusCode.BadRequest);
        await Json(await Admin.GetAsync("/api/admin/templates/mail/ticket-created.sbn?accountId=nobody"), HttpStatusCode.NotFound);
        using var agent = await host.Factory.CreateStaffClientAsync("senior", "sam-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/admin/templates")).StatusCode);
    }

    [Fact]
    public async Task InvalidTemplates_Refused422WithLine_NothingStored()
    {
        const string Url = "/api/admin/templates/mail/ticket-reply.sbn";
        // A parse error on line 3.
        var parse = await Json(await Admin.PutAsJsonAsync(Url, new { source = "Subject: Re {{ ticket.subject }}\n\n{{ if comment.body }}\nno end" }), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("invalid-template", parse["title"]!.GetValue<string>());
        Assert.Contains(parse["problems"]!.AsArray(), p => p!["line"]!.GetValue<int>() >= 3);
        Assert.Contains("Line ", parse["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // An unknown member, caught by the strict render against the sample model, on line 3 column 4.
        var unknown = await Json(await Admin.PutAsJsonAsync(Url, new { source = "Subject: Re {{ ticket.subject }}\n\nHi {{ ticket.no_such_member }}" }), HttpStatusCode.UnprocessableEntity);
        var problem = unknown["problems"]!.AsArray().Single()!;
        Assert.Equal(3, problem["line"]!.GetValue<int>());
        Assert.Contains("no_such_member", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // The Subject rule.
        var subject = await Json(await Admin.PutAsJsonAsync(Url, new { source = "Hello {{ requester.name }}" }), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("Subject:", subject["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Validate says the same without storing; nothing was stored by any of the above.
        var check = await Json(await Admin.PostAsJsonAsync(Url + "/validate", new { source = "Subject: x\n\n{{ for x in }}" }), HttpStatusCode.OK);
        Assert.False(check["valid"]!.GetValue<bool>());
        Assert.Equal(3, check["problems"]!.AsArray()[0]!["line"]!.GetValue<int>());
        Assert.True((await Json(await Admin.PostAsJsonAsync(Url + "/validate", new { source = "Subject: Re {{ ticket.subject }}\n\n{{ comment.body }}" }), HttpStatusCode.OK))["valid"]!.GetValue<bool>());
        Assert.Empty(await Versions("mail", "ticket-reply.sbn"));
        Assert.Equal("shipped", (await Json(await Admin.GetAsync(Url), HttpStatusCode.OK))["current"]!["inEffect"]!.GetValue<string>());
    }

    [Fact]
    public async Task SavedMailOverride_IsTheRealMailSent_HistoryDiffRestoreRevert()
    {
        const string Url = "/api/admin/templates/mail/ticket-created.sbn";
        const string Custom = "Subject: CUSTOM-ACK #{{ ticket.id }} {{ ticket.subject }}\n\nDear {{ requester.name }}, we have it.\n";
        var preview = await Json(await Admin.PostAsJsonAsync(Url + "/preview", new { source = Custom }), HttpStatusCode.OK);
        Assert.StartsWith("CUSTOM-ACK #1042", preview["subject"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Dear Jane Client", preview["text"]!.GetValue<string>(), StringComparison.Ordinal);

        var saved = await Json(await Admin.PutAsJsonAsync(Url, new { source = Custom }), HttpStatusCode.OK);
        var first = saved["version"]!.GetValue<int>();
        Assert.Equal(1, first);

        // The real path: a ticket opened through the API is acknowledged through the outbox and SMTP with the saved text.
        using var staff = await host.Factory.CreateStaffClientAsync("senior", "ann-" + Guid.NewGuid().ToString("N")[..6], "Ann Agent");
        var ticket = await Json(await staff.PostAsJsonAsync("/api/tickets", new { accountId = "client", requesterId = "jane@client.example", subject = "Printer jammed", description = "Again." }), HttpStatusCode.Created);
        var id = ticket["id"]!.GetValue<long>();
        var ack = await host.Smtp.WaitForAsync(m => m.Subject!.Contains($"#{id} ", StringComparison.Ordinal));
        Assert.Equal($"CUSTOM-ACK #{id} Printer jammed", ack.Subject);
        Assert.Contains("we have it.", ack.TextBody, StringComparison.Ordinal);

        var versions = await Versions("mail", "ticket-created.sbn");
        Assert.Equal("tina-admin", versions.Single()!["savedBy"]!.GetValue<string>());
        var diff = await Json(await Admin.GetAsync(Url + "/diff?from=0&to=1"), HttpStatusCode.OK);
        Assert.Contains(diff["lines"]!.AsArray(), l => l!["change"]!.GetValue<string>() == "inserted" && l["text"]!.GetValue<string>().Contains("CUSTOM-ACK", StringComparison.Ordinal));
        Assert.Contains(diff["lines"]!.AsArray(), l => l!["change"]!.GetValue<string>() == "deleted");

        // Revert: the shipped text again (recorded as a version), then restore version 1 as version 3.
        var reverted = await Json(await Admin.DeleteAsync(Url), HttpStatusCode.OK);
        Assert.Equal("shipped", reverted["inEffect"]!.GetValue<string>());
        await Json(await Admin.DeleteAsync(Url), HttpStatusCode.NotFound);
        var again = await Json(await staff.PostAsJsonAsync("/api/tickets", new { accountId = "client", requesterId = "jane@client.example", subject = "Scanner jammed", description = "Too." }), HttpStatusCode.Created);
        var shippedAck = await host.Smtp.WaitForAsync(m => m.Subject!.Contains($"[#{again["id"]!.GetValue<long>()}]", StringComparison.Ordinal));
        Assert.DoesNotContain("CUSTOM-ACK", shippedAck.Subject, StringComparison.Ordinal);

        var restored = await Json(await Admin.PostAsync(Url + "/versions/1/restore", null), HttpStatusCode.OK);
        Assert.Equal(3, restored["version"]!.GetValue<int>());
        var current = await Json(await Admin.GetAsync(Url), HttpStatusCode.OK);
        Assert.Equal(("saved", Custom), (current["current"]!["inEffect"]!.GetValue<string>(), current["current"]!["source"]!.GetValue<string>()));
        var all = await Versions("mail", "ticket-created.sbn");
        Assert.Equal([3, 2, 1], all.Select(v => v!["version"]!.GetValue<int>()));
        Assert.True(all[1]!["reverted"]!.GetValue<bool>());
        await Json(await Admin.DeleteAsync(Url), HttpStatusCode.OK);
    }

    [Fact]
    public async Task SavedReportOverride_IsTheRenderedReport_AndInvoicePreviewRenders()
    {
        const string Url = "/api/admin/templates/reports/report.html.sbn";
        var source = "<!doctype html><title>{{ report.title }}</title><p>CUSTOM-REPORT {{ report.account_name }} {{ format_percent report.compliance_percent }}</p>"
            + "{{ for b in report.breaches }}<p>{{ b.ticket_id }}</p>{{ end }}";
        await Json(await Admin.PutAsJsonAsync(Url, new { source }), HttpStatusCode.OK);
        var page = await Admin.GetAsync("/api/reports/accounts/client/monthly/2026-10/html");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.IsSuccessStatusCode, html);
        Assert.Contains("CUSTOM-REPORT Client Ltd", html, StringComparison.Ordinal);
        // A member the report does not have is refused inside a loop body too (the sample has one of every list).
        var bad = await Json(await Admin.PutAsJsonAsync(Url, new { source = "{{ for b in report.breaches }}\n{{ b.nope }}{{ end }}" }), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(2, bad["problems"]!.AsArray()[0]!["line"]!.GetValue<int>());
        await Json(await Admin.DeleteAsync(Url), HttpStatusCode.OK);
        Assert.DoesNotContain("CUSTOM-REPORT", await Admin.GetStringAsync("/api/reports/accounts/client/monthly/2026-10/html"), StringComparison.Ordinal);

        var invoice = await Json(await Admin.PostAsJsonAsync("/api/admin/templates/billing/invoice.html.sbn/preview", new { }), HttpStatusCode.OK);
        Assert.Contains("<html", invoice["html"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var estimate = await Json(await Admin.PostAsJsonAsync("/api/admin/templates/billing/estimate-sent.sbn/preview", new { }), HttpStatusCode.OK);
        Assert.False(string.IsNullOrWhiteSpace(estimate["subject"]!.GetValue<string>()));
    }

    [Fact]
    public async Task DataFolderFile_KeepsWorkingBelowASavedOverride_AndAnAccountHasItsOwn()
    {
        const string Url = "/api/admin/templates/mail/mail-rejected.sbn";
        var file = await Json(await Admin.GetAsync(Url), HttpStatusCode.OK);
        Assert.Equal(("file", TemplateHost.FileOverride), (file["current"]!["inEffect"]!.GetValue<string>(), file["file"]!.GetValue<string>()));
        await Json(await Admin.PutAsJsonAsync(Url, new { source = "Subject: Saved {{ subject }}\n\nSAVED\n" }), HttpStatusCode.OK);
        Assert.Equal("saved", (await Json(await Admin.GetAsync(Url), HttpStatusCode.OK))["current"]!["inEffect"]!.GetValue<string>());
        await Json(await Admin.DeleteAsync(Url), HttpStatusCode.OK);
        Assert.Equal("file", (await Json(await Admin.GetAsync(Url), HttpStatusCode.OK))["current"]!["inEffect"]!.GetValue<string>());

        const string Ack = "/api/admin/templates/mail/mail-acknowledgement.sbn";
        await Json(await Admin.PutAsJsonAsync(Ack + "?accountId=client", new { source = "Subject: CLIENT-OWN {{ ticket.subject }}\n\nFor {{ account.name }}\n", accountId = "client" }), HttpStatusCode.OK);
        var own = await Json(await Admin.PostAsJsonAsync(Ack + "/preview", new { accountId = "client" }), HttpStatusCode.OK);
        Assert.StartsWith("CLIENT-OWN", own["subject"]!.GetValue<string>(), StringComparison.Ordinal);
        var msp = await Json(await Admin.PostAsJsonAsync(Ack + "/preview", new { }), HttpStatusCode.OK);
        Assert.DoesNotContain("CLIENT-OWN", msp["subject"]!.GetValue<string>(), StringComparison.Ordinal);
        var list = (await Json(await Admin.GetAsync("/api/admin/templates"), HttpStatusCode.OK)).AsArray()
            .Single(k => k!["kind"]!.GetValue<string>() == "mail")!["templates"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "mail-acknowledgement.sbn")!;
        Assert.Equal(["client"], list["accountOverrides"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Single(await Versions("mail", "mail-acknowledgement.sbn", "?accountId=client"));
        Assert.Empty(await Versions("mail", "mail-acknowledgement.sbn"));
    }
}

/// <summary>Two nodes of one cluster (PostgreSQL): a template saved on one is what the other renders, at once.</summary>
public sealed class TemplateClusterTests
{
    [Fact]
    public async Task SavedOnOneNode_RenderedByTheOther_WithoutWaiting()
    {
        var postgres = await PostgresServer.Shared.CreateDatabaseAsync("templates-cluster");
        using var dataA = new TempDirectory();
        using var dataB = new TempDirectory();
        await using var nodeA = new PlatformFactory(dataA.Path, postgres);
        await using var nodeB = new PlatformFactory(dataB.Path, postgres);
        using var adminA = await nodeA.CreateStaffClientAsync("admin", "ann-a");
        using var adminB = await nodeB.CreateStaffClientAsync("admin", "bob-b");
        const string Url = "/api/admin/templates/mail/ticket-status.sbn/preview";

        // Node B renders (and caches) the shipped text first.
        var before = JsonNode.Parse(await (await adminB.PostAsJsonAsync(Url, new { })).Content.ReadAsStringAsync())!;
        Assert.DoesNotContain("CLUSTER-WIDE", before["subject"]!.GetValue<string>(), StringComparison.Ordinal);

        (await adminA.PutAsJsonAsync("/api/admin/templates/mail/ticket-status.sbn", new { source = "Subject: CLUSTER-WIDE {{ status.headline }}\n\nText\n" })).EnsureSuccessStatusCode();
        var after = JsonNode.Parse(await (await adminB.PostAsJsonAsync(Url, new { })).Content.ReadAsStringAsync())!;
        Assert.Equal("CLUSTER-WIDE Resolved", after["subject"]!.GetValue<string>());
    }
}
