using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>The billing flow in the browser: estimate in the console, approval in the portal, time on the ticket page, invoice.</summary>
[Collection(WebCollection.Name)]
public sealed class BillingPagesTests(WebFixture fixture)
{
    private readonly TestUser agent = TestUser.Agent("bea", "Bea Billing");

    [Fact]
    public async Task Billing_EstimateApproveLogTimeInvoice_InTheBrowser()
    {
        var account = WebFixture.Unique("bill");
        await fixture.EnsureAccountAsync(account, "Billing Ltd");
        var manager = TestUser.Client(WebFixture.Unique("meg"), "Meg Manager", account);
        using (await fixture.ApiAsync(manager))
        {
        }

        using var staffApi = await fixture.ApiAsync(agent);
        await WebFixture.Ok(await staffApi.PatchAsJsonAsync($"/api/accounts/{account}/users/{manager.UserId}", new { manager = true }));
        var ticket = await WebFixture.CreateTicketAsync(staffApi, account, manager.UserId, "Please migrate our mail server");

        // Staff draft the estimate for the ticket and send it.
        await using (var console = await fixture.OpenAsync(agent, bypassCsp: true))
        {
            var page = console.Page;
            await page.GotoReadyAsync($"/console/billing?account={account}");
            await page.GetByLabel("Title").FillAsync("Mail migration");
            await page.GetByLabel("Why it is out of scope").FillAsync("Migrations are projects, not support.");
            await page.GetByLabel("Ticket number (optional)").FillAsync(ticket.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByLabel("Task", new() { Exact = true }).FillAsync("Move mailboxes");
            await page.GetByLabel("Hours", new() { Exact = true }).FillAsync("2");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create estimate" }).ClickAsync();
            await Expect(page.Locator("#estimates .estimate")).ToContainTextAsync("Mail migration");
            await Expect(page.Locator("#estimates .total")).ToHaveTextAsync("170.00 USD");
            await page.GetByRole(AriaRole.Button, new() { Name = "Send for approval" }).ClickAsync();
            await Expect(page.Locator("#estimates .estimate")).ToContainTextAsync("sent");
            var violations = await PageChecks.AxeViolationsAsync(page);
            Assert.True(violations.Count == 0, string.Join("\n", violations));
            Assert.Empty(console.Errors);
        }

        // The client's manager approves it in the portal.
        await using (var portal = await fixture.OpenAsync(manager, bypassCsp: true))
        {
            var page = portal.Page;
            await page.GotoReadyAsync("/portal/estimates");
            await Expect(page.Locator("#estimates")).ToContainTextAsync("Migrations are projects, not support.");
            await page.GetByRole(AriaRole.Button, new() { Name = "Approve (170.00 USD)" }).ClickAsync();
            await Expect(page.Locator("#estimates .decision")).ToContainTextAsync("approved by Meg Manager");
            var violations = await PageChecks.AxeViolationsAsync(page);
            Assert.True(violations.Count == 0, string.Join("\n", violations));
        }

        // Staff log time on the ticket page, complete the work and issue the invoice.
        await using (var console = await fixture.OpenAsync(agent))
        {
            var page = console.Page;
            await page.GotoReadyAsync($"/console/tickets/{ticket}");
            await page.Locator("#log-minutes").FillAsync("90");
            await page.Locator("#log-note").FillAsync("Moved all mailboxes");
            await page.GetByRole(AriaRole.Button, new() { Name = "Log time" }).ClickAsync();
            await Expect(page.Locator("#log-task")).ToContainTextAsync("1.5 of 2 h");

            await page.GotoReadyAsync($"/console/billing?account={account}");
            await Expect(page.Locator("#estimates .progress")).ToContainTextAsync("1.5 of 2 approved hours logged (75");
            await page.GetByRole(AriaRole.Button, new() { Name = "Mark completed" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Issue invoice" }).ClickAsync();
            await Expect(page.Locator("#invoices")).ToContainTextAsync("127.50 USD");
            Assert.Empty(console.Errors);
        }

        // The client sees the invoice, with its breakdown.
        await using (var portal = await fixture.OpenAsync(manager))
        {
            var page = portal.Page;
            await page.GotoReadyAsync("/portal/estimates");
            await Expect(page.Locator("#invoices")).ToContainTextAsync("127.50 USD");
            var html = page.Locator("#invoices a").First;
            var number = (await html.TextContentAsync())!.Replace("HTML (", "", StringComparison.Ordinal).TrimEnd(')');
            var response = await page.APIRequest.GetAsync((await html.GetAttributeAsync("href"))!);
            var text = await response.TextAsync();
            Assert.Contains(number, text, StringComparison.Ordinal);
            Assert.Contains("Moved all mailboxes", text, StringComparison.Ordinal);
            Assert.Contains("Bea Billing", text, StringComparison.Ordinal);
        }
    }
}
