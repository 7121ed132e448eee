using System.Net.Http.Json;
using System.Text;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// The console mail page in Chromium: a message from an unknown sender is opened as a ticket in the account the agent
/// chooses, a held message is read, discarded with a reason (the record stays) or released.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class MailPagesTests(WebFixture fixture)
{
    private readonly TestUser agent = TestUser.Agent("mara", "Mara Mail");

    private static ByteArrayContent Mail(string from, string subject, string body, string? attachment = null)
    {
        var id = Guid.NewGuid().ToString("N");
        var text = attachment is null
            ? $"From: {from}\r\nTo: support@msp.example\r\nSubject: {subject}\r\nMessage-ID: <{id}@web.example>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\n{body}\r\n"
            : $"From: {from}\r\nTo: support@msp.example\r\nSubject: {subject}\r\nMessage-ID: <{id}@web.example>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
              + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
              + $"{body}\r\n--b1\r\nContent-Type: application/octet-stream; name=\"{attachment}\"\r\nContent-Disposition: attachment; filename=\"{attachment}\"\r\n"
              + "Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n--b1--\r\n";
        return new ByteArrayContent(Encoding.UTF8.GetBytes(text));
    }

    [Fact]
    public async Task MailPage_TriageOpensATicketInTheChosenAccount_QuarantineReadDiscardRelease()
    {
        var account = WebFixture.Unique("mailacct");
        var tag = WebFixture.Unique("m");
        using var api = await fixture.ApiAsync(agent);
        using (var admin = await fixture.ApiAsync(TestUser.Admin))
        {
            await WebFixture.Ok(await admin.PutAsJsonAsync($"/api/accounts/{account}", new { name = "Mailbox Ltd " + account, timeZone = "Europe/London", emailDomains = new[] { $"{account}.example" } }));
        }

        var triaged = await WebFixture.Ok(await api.PostAsync("/api/mail/inbound/pipe", Mail($"New Person <new-{tag}@nowhere.example>", $"Printer quote {tag}", "Do you fix printers?")));
        var held = await WebFixture.Ok(await api.PostAsync("/api/mail/inbound/pipe", Mail($"Odd Sender <odd-{tag}@{account}.example>", $"Run this {tag}", "See attached tool.", "tool.pdf.exe")));
        var other = await WebFixture.Ok(await api.PostAsync("/api/mail/inbound/pipe", Mail($"Other Sender <other-{tag}@{account}.example>", $"Also this {tag}", "Another tool.", "setup.exe")));
        Assert.Equal(("triaged", "quarantined", "quarantined"), (triaged.GetProperty("disposition").GetString(), held.GetProperty("disposition").GetString(), other.GetProperty("disposition").GetString()));
        var heldId = (await WebFixture.Ok(await api.GetAsync("/api/mail/quarantine"))).EnumerateArray()
            .Single(m => m.GetProperty("subject").GetString() == $"Run this {tag}").GetProperty("id").GetString();

        await using var session = await fixture.OpenAsync(agent, bypassCsp: true);
        var page = session.Page;
        await page.GotoReadyAsync("/console/mail");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Mail", Exact = true })).ToHaveAttributeAsync("aria-current", "page");

        // Triage: opening without an account says what is missing; with one, the ticket is opened there.
        var triageRow = page.Locator("#triage tr", new() { HasText = $"Printer quote {tag}" });
        await Expect(triageRow).ToContainTextAsync($"new-{tag}@nowhere.example");
        await triageRow.GetByRole(AriaRole.Button, new() { Name = "Open ticket" }).ClickAsync();
        await Expect(triageRow.Locator(".form-error")).ToContainTextAsync("Choose the account");
        await triageRow.GetByLabel("Account").SelectOptionAsync(account);
        await triageRow.GetByLabel("Priority").SelectOptionAsync("high");
        await triageRow.GetByRole(AriaRole.Button, new() { Name = "Open ticket" }).ClickAsync();
        var opened = page.Locator("#error .notice a");
        await Expect(opened).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^#\d+$"));
        await Expect(page.Locator("#triage tr", new() { HasText = $"Printer quote {tag}" })).ToHaveCountAsync(0);
        var ticketId = (await opened.TextContentAsync())!.TrimStart('#');
        var ticket = await WebFixture.Ok(await api.GetAsync($"/api/tickets/{ticketId}"));
        Assert.Equal((account, $"Printer quote {tag}", "high"), (ticket.GetProperty("accountId").GetString(), ticket.GetProperty("subject").GetString(), ticket.GetProperty("priority").GetString()));

        // Quarantine: read the held message, then discard it with a reason; the record keeps who and why.
        var heldRow = page.Locator("#quarantine tr", new() { HasText = $"Run this {tag}" });
        await Expect(heldRow).ToContainTextAsync("suspicious");
        await heldRow.GetByRole(AriaRole.Button, new() { Name = $"Run this {tag}" }).ClickAsync();
        await Expect(page.Locator("#mail-message")).ToContainTextAsync("See attached tool.");
        await Expect(page.Locator("#mail-message")).ToContainTextAsync("tool.pdf.exe");
        await heldRow.GetByRole(AriaRole.Button, new() { Name = "Discard" }).ClickAsync();
        await Expect(heldRow.Locator(".form-error")).ToContainTextAsync("Say why the message is discarded");
        await heldRow.GetByLabel("Why discard it").FillAsync("Malware test, not from a client");
        await heldRow.GetByRole(AriaRole.Button, new() { Name = "Discard" }).ClickAsync();
        await Expect(page.Locator("#quarantine tr", new() { HasText = $"Run this {tag}" })).ToHaveCountAsync(0);
        var record = await WebFixture.Ok(await api.GetAsync($"/api/mail/messages/{heldId}"));
        Assert.Equal("discarded", record.GetProperty("message").GetProperty("disposition").GetString());
        Assert.Equal("Discarded by mara: Malware test, not from a client", record.GetProperty("message").GetProperty("reason").GetString());

        // Release: the other held message is processed again without the hold: a ticket of the account, without the file.
        var otherRow = page.Locator("#quarantine tr", new() { HasText = $"Also this {tag}" });
        await otherRow.GetByRole(AriaRole.Button, new() { Name = $"Release the message from other-{tag}@{account}.example" }).ClickAsync();
        await Expect(page.Locator("#error .notice")).ToContainTextAsync($"Released the message from other-{tag}@{account}.example: ticket #");
        await Expect(page.Locator("#quarantine tr", new() { HasText = $"Also this {tag}" })).ToHaveCountAsync(0);
        await Expect(page.Locator("#sources")).ToContainTextAsync("pipe");

        var violations = await PageChecks.AxeViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.Empty(session.Errors);
    }
}
