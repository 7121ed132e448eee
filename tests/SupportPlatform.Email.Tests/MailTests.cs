using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Core.Mail;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Email.Tests;

public sealed class SqliteMailTests : MailTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlMailTests : MailTests
{
    protected override async Task<string?> DatabaseAsync() => await PostgresServer.Shared.CreateDatabaseAsync("mail");
}

/// <summary>Requester notifications and the outbox's delivery, against a real SMTP server on loopback.</summary>
public abstract class MailTests
{
    protected abstract Task<string?> DatabaseAsync();

    private async Task<PlatformFactory> HostAsync(
        int? smtpPort, string? dataPath = null, string from = "Acme Support <support@msp.example>", Action<IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SupportPlatform:Email:From"] = from,
            ["SupportPlatform:Email:PollInterval"] = "00:00:00.200",
            ["SupportPlatform:Email:PublicUrl"] = "https://support.msp.example",
        };
        if (smtpPort is { } port)
        {
            settings["SupportPlatform:Email:Smtp:Host"] = "127.0.0.1";
            settings["SupportPlatform:Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["SupportPlatform:Email:Smtp:Security"] = "None";
        }

        var factory = new PlatformFactory(dataPath: dataPath, postgres: await DatabaseAsync(), extra: settings, services: services);
        using var admin = await factory.CreateStaffClientAsync("admin");
        (await admin.PutAsJsonAsync("/api/accounts/client", new { name = "Client Ltd", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        return factory;
    }

    private static Task<HttpClient> Staff(PlatformFactory factory) => factory.CreateStaffClientAsync("senior", "alice-" + Guid.NewGuid().ToString("N")[..6], "Alice Agent");

    private static async Task<long> NewTicket(HttpClient client, string requester, string subject)
    {
        var response = await client.PostAsJsonAsync("/api/tickets", new { accountId = "client", requesterId = requester, subject, description = "Details." });
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<long>();
    }

    [Fact]
    public async Task Requester_GetsAcknowledgement_PublicReplies_AndResolution_NeverInternalNotes()
    {
        await using var smtp = new SmtpSink();
        using var factory = await HostAsync(smtp.Port);
        var staff = await Staff(factory);
        var id = await NewTicket(staff, "jane@client.example", "VPN is down");

        var ack = await smtp.WaitForAsync(m => m.Subject!.Contains($"[#{id}]", StringComparison.Ordinal));
        Assert.Equal($"[#{id}] We received your request: VPN is down", ack.Subject);
        Assert.Equal("jane@client.example", ack.To.Mailboxes.Single().Address);
        Assert.Equal("support@msp.example", ack.From.Mailboxes.Single().Address);
        Assert.Equal("auto-replied", ack.Headers["Auto-Submitted"]);
        Assert.Contains($"ticket-{id}@supportplatform", ack.References);
        Assert.Contains($"https://support.msp.example/portal/tickets/{id}", ack.TextBody, StringComparison.Ordinal);
        Assert.Contains("VPN is down", ack.HtmlBody, StringComparison.Ordinal);

        (await staff.PostAsJsonAsync($"/api/tickets/{id}/comments", new { body = "Internal: check the firewall", visibility = "internal" })).EnsureSuccessStatusCode();
        (await staff.PostAsJsonAsync($"/api/tickets/{id}/comments", new { body = "We restarted the VPN gateway <b>now</b>.", visibility = "public" })).EnsureSuccessStatusCode();
        var reply = await smtp.WaitForAsync(m => m.Subject == $"Re: [#{id}] VPN is down");
        Assert.Contains("We restarted the VPN gateway <b>now</b>.", reply.TextBody, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;now&lt;/b&gt;", reply.HtmlBody, StringComparison.Ordinal);
        Assert.False(reply.Headers.Contains("Auto-Submitted"));

        using var jane = await factory.CreateClientUserClientAsync("client", "jane-" + Guid.NewGuid().ToString("N")[..6], "Jane");
        (await jane.PostAsJsonAsync($"/api/tickets/{id}/comments", new { body = "Thanks, works again" })).EnsureSuccessStatusCode();
        (await staff.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "resolved", note = "Gateway restarted; monitoring added." })).EnsureSuccessStatusCode();
        var resolved = await smtp.WaitForAsync(m => m.Subject!.StartsWith($"[#{id}] Resolved", StringComparison.Ordinal));
        Assert.Contains("Gateway restarted; monitoring added.", resolved.TextBody, StringComparison.Ordinal);

        await Task.Delay(1000);
        var all = smtp.Received.Where(m => m.Subject!.Contains($"[#{id}]", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, all.Count);
        Assert.DoesNotContain(all, m => m.TextBody!.Contains("Internal", StringComparison.Ordinal) || m.TextBody!.Contains("Thanks, works again", StringComparison.Ordinal));

        var outbox = JsonNode.Parse(await staff.GetStringAsync("/api/admin/mail/outbox?status=sent"))!.AsArray();
        Assert.Equal(3, outbox.Count(m => m!["subject"]!.GetValue<string>().Contains($"[#{id}]", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Escalation_TellsTheGroupsAgents_AndHandsTheTicketToTheVendorByMail()
    {
        await using var smtp = new SmtpSink();
        // The agents are staff users: the identity module's directory gives their addresses.
        using var factory = await HostAsync(smtp.Port);
        var staff = await Staff(factory);
        (await factory.CreateStaffClientAsync("senior", "lee", "Lee")).Dispose();
        (await factory.CreateStaffClientAsync("agent", "kim", "Kim")).Dispose();
        (await staff.PutAsJsonAsync("/api/agents/lee", new { displayName = "Lee", groups = new[] { "L2" }, skills = Array.Empty<string>() })).EnsureSuccessStatusCode();
        (await staff.PutAsJsonAsync("/api/agents/kim", new { displayName = "Kim", groups = new[] { "L1" }, skills = Array.Empty<string>() })).EnsureSuccessStatusCode();
        (await staff.PutAsJsonAsync("/api/vendors/isp", new { name = "Big ISP", contactEmail = "cases@isp.example" })).EnsureSuccessStatusCode();
        var id = await NewTicket(staff, "user-without-address", "Line down at branch");

        (await staff.PostAsJsonAsync($"/api/tickets/{id}/escalations", new { toGroup = "L2", reason = "Needs a senior engineer" })).EnsureSuccessStatusCode();
        var toAgent = await smtp.WaitForAsync(m => m.Subject!.StartsWith($"[#{id}] Escalated to L2", StringComparison.Ordinal));
        Assert.Equal("lee@staff.tests.example", toAgent.To.Mailboxes.Single().Address);
        Assert.Contains("Needs a senior engineer", toAgent.TextBody, StringComparison.Ordinal);

        (await staff.PostAsJsonAsync($"/api/tickets/{id}/escalations", new { vendorId = "isp", reason = "Circuit fault" })).EnsureSuccessStatusCode();
        var toVendor = await smtp.WaitForAsync(m => m.Subject == $"[Ticket #{id}] Line down at branch");
        Assert.Equal("cases@isp.example", toVendor.To.Mailboxes.Single().Address);
        Assert.Contains("Circuit fault", toVendor.TextBody, StringComparison.Ordinal);
        Assert.StartsWith("vendor-", toVendor.MessageId, StringComparison.Ordinal);

        await Task.Delay(500);
        Assert.DoesNotContain(smtp.Received, m => m.To.Mailboxes.Any(a => a.Address == "kim@staff.tests.example"));
    }

    [Fact]
    public async Task ClientUserOpensATicket_AcknowledgementGoesToTheirSignInAddress()
    {
        await using var smtp = new SmtpSink();
        using var factory = await HostAsync(smtp.Port);
        var id = "dana-" + Guid.NewGuid().ToString("N")[..6];
        using var dana = await factory.CreateClientUserClientAsync("client", id, "Dana Client");
        var response = await dana.PostAsJsonAsync("/api/tickets", new { subject = "Cannot print", description = "Since this morning." });
        response.EnsureSuccessStatusCode();
        var ticket = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<long>();

        var ack = await smtp.WaitForAsync(m => m.Subject!.Contains($"[#{ticket}]", StringComparison.Ordinal));
        Assert.Equal($"{id}@client.tests.example", ack.To.Mailboxes.Single().Address);
        Assert.Contains("Hello Dana Client", ack.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequesterWithoutAddress_NoMail_TicketStillCreated()
    {
        await using var smtp = new SmtpSink();
        using var factory = await HostAsync(smtp.Port);
        var staff = await Staff(factory);
        var id = await NewTicket(staff, "user-without-address", "Printer");

        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync($"/api/tickets/{id}")).StatusCode);
        await Task.Delay(800);
        Assert.Empty(JsonNode.Parse(await staff.GetStringAsync("/api/admin/mail/outbox"))!.AsArray());
    }

    [Fact]
    public async Task ServerDown_MailWaits_AndIsDeliveredWhenItComesBack()
    {
        var port = PlatformFactory.FreePort();
        using var factory = await HostAsync(port);
        var staff = await Staff(factory);
        var outbox = factory.Services.GetRequiredService<IOutboundMail>();
        var id = await outbox.EnqueueAsync(new OutboundMail("bob@client.example", "Monthly report", "See attached.", null, "test"), CancellationToken.None);

        var entry = await WaitForEntry(staff, id, e => e["attempts"]!.GetValue<int>() >= 1);
        Assert.Equal("pending", entry["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(entry["lastError"]?.GetValue<string>()));

        await using var smtp = new SmtpSink(port);
        Assert.Equal(HttpStatusCode.Accepted, (await staff.PostAsync($"/api/admin/mail/outbox/{id}/retry", null)).StatusCode);
        var delivered = await smtp.WaitForAsync(m => m.Subject == "Monthly report");
        Assert.Equal("See attached.", delivered.TextBody!.Trim());
        await WaitForEntry(staff, id, e => e["status"]!.GetValue<string>() == "sent");
    }

    [Fact]
    public async Task RecipientRefused_FailsForGood_AndReadinessSaysSo()
    {
        await using var smtp = new SmtpSink();
        using var factory = await HostAsync(smtp.Port);
        var staff = await Staff(factory);
        var id = await factory.Services.GetRequiredService<IOutboundMail>()
            .EnqueueAsync(new OutboundMail("nobody@reject.example", "Hello", "Text", null, "test"), CancellationToken.None);

        var entry = await WaitForEntry(staff, id, e => e["status"]!.GetValue<string>() == "failed");
        Assert.StartsWith("550 ", entry["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        var ready = JsonNode.Parse(await staff.GetStringAsync("/health/ready"))!;
        Assert.Contains("could not be delivered", ready.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoSmtpServerConfigured_MailIsKept_AndReadinessSaysSo()
    {
        using var factory = await HostAsync(smtpPort: null);
        var staff = await Staff(factory);
        await NewTicket(staff, "jane@client.example", "Laptop slow");

        var pending = JsonNode.Parse(await staff.GetStringAsync("/api/admin/mail/outbox?status=pending"))!.AsArray();
        Assert.Single(pending);
        var ready = await staff.GetStringAsync("/health/ready");
        Assert.Contains("no SMTP server is configured", ready, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TemplateInDataFolder_ReplacesTheShippedOne()
    {
        using var data = new TempDirectory("sp-mail-");
        Directory.CreateDirectory(Path.Combine(data.Path, "templates"));
        await File.WriteAllTextAsync(Path.Combine(data.Path, "templates", "ticket-created.sbn"),
            "Subject: Ticket {{ ticket.id }} logged for {{ requester.name }}\n\nCustom body for {{ ticket.subject }}.\n");
        await using var smtp = new SmtpSink();
        using var factory = await HostAsync(smtp.Port, data.Path);
        var id = await NewTicket(await Staff(factory), "jane@client.example", "New starter");

        var ack = await smtp.WaitForAsync(m => m.Subject!.StartsWith($"Ticket {id}", StringComparison.Ordinal));
        Assert.Equal($"Ticket {id} logged for jane@client.example", ack.Subject);
        Assert.Equal("Custom body for New starter.", ack.TextBody!.Trim());
    }

    [Fact]
    public async Task BadSetting_StopsTheStart_NamingTheKey()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var factory = await HostAsync(smtpPort: 2525, from: "not an address");
        });
        Assert.Contains("SupportPlatform:Email:From", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<JsonNode> WaitForEntry(HttpClient client, string id, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = JsonNode.Parse(await client.GetStringAsync("/api/admin/mail/outbox"))!.AsArray().FirstOrDefault(e => e!["id"]!.GetValue<string>() == id);
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Outbox entry {id} never met the condition; last: {last?.ToJsonString()}");
    }
}
