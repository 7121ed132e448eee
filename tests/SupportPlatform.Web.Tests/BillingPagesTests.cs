using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>The billing flow in the browser: estimate in the console, approval in the portal, time on the ticket page, invoice.</summary>
[Collection(WebCollection.Name)]
public sealed class BillingPagesTests(WebFixture fixture)
{
    private readonly TestUser agent = TestUser.Agent("bea", "Bea Billing");
    private readonly TestUser senior = new("staff", "sid", "Sid Senior", Role: "senior");

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

        // A senior engineer enters the account's billing details (the buyer on its invoices).
        await using (var console = await fixture.OpenAsync(senior))
        {
            var page = console.Page;
            await page.GotoReadyAsync($"/console/billing?account={account}");
            await page.GetByLabel("Street").FillAsync("7 Harbour Road");
            await page.GetByLabel("City").FillAsync("Dublin");
            await page.GetByLabel("Postal code").FillAsync("D02 XY45");
            await page.GetByLabel("Country (two letters)").FillAsync("ie");
            await page.GetByLabel("VAT id").FillAsync("IE1234567T");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save billing details" }).ClickAsync();
            await Expect(page.Locator("#announcer")).ToHaveTextAsync("Billing details saved.");
            await Expect(page.GetByLabel("Country (two letters)")).ToHaveValueAsync("IE");
            Assert.Empty(console.Errors);
        }

        // Staff draft the estimate for the ticket and send it.
        await using (var console = await fixture.OpenAsync(agent, bypassCsp: true))
        {
            var page = console.Page;
            await page.GotoReadyAsync($"/console/billing?account={account}");
            await page.GetByLabel("Title").FillAsync("Mail migration");
            await page.GetByLabel("Why it is out of scope").FillAsync("Migrations are projects, not support.");
            await page.GetByLabel("Ticket number (optional)").FillAsync(ticket.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // Several line items: the amounts and totals are priced by the server as they are typed, and follow removals.
            await page.GetByLabel("Task, line 1", new() { Exact = true }).FillAsync("Move mailboxes");
            await page.GetByLabel("Hours, line 1", new() { Exact = true }).FillAsync("2");
            await Expect(page.Locator("#est-total")).ToHaveTextAsync("170.00 USD");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add line" }).ClickAsync();
            await page.GetByLabel("Task, line 2", new() { Exact = true }).FillAsync("Test the mail flow");
            await page.GetByLabel("Hours, line 2", new() { Exact = true }).FillAsync("0.35");
            await page.GetByLabel("Rate, line 2", new() { Exact = true }).FillAsync("99.99");
            await Expect(page.Locator("#est-lines tr").Nth(1).Locator(".est-amount")).ToHaveTextAsync("35.00 USD"); // 0.35 × 99.99 = 34.9965
            await Expect(page.Locator("#est-subtotal")).ToHaveTextAsync("205.00 USD");
            await Expect(page.Locator("#est-total")).ToHaveTextAsync("205.00 USD");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add line" }).ClickAsync();
            await page.GetByLabel("Task, line 3", new() { Exact = true }).FillAsync("Train the staff");
            await page.GetByLabel("Hours, line 3", new() { Exact = true }).FillAsync("1.5");
            await Expect(page.Locator("#est-total")).ToHaveTextAsync("332.50 USD");
            await page.GetByRole(AriaRole.Button, new() { Name = "Remove line 2" }).ClickAsync();
            await Expect(page.Locator("#est-lines tr")).ToHaveCountAsync(2);
            await Expect(page.Locator("#est-total")).ToHaveTextAsync("297.50 USD");
            await page.GetByRole(AriaRole.Button, new() { Name = "Remove line 3" }).ClickAsync();
            await Expect(page.Locator("#est-total")).ToHaveTextAsync("170.00 USD");
            await page.GetByLabel("Valid until").FillAsync("2099-01-31");
            await page.GetByLabel("Assumptions (one per line)").FillAsync("Client provides admin access\nMailboxes under 50 GB");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create estimate" }).ClickAsync();
            await Expect(page.Locator("#estimates .estimate")).ToContainTextAsync("Mail migration");
            await Expect(page.Locator("#estimates .total")).ToHaveTextAsync("170.00 USD");
            await Expect(page.Locator("#estimates .valid-until")).ToHaveTextAsync("Valid until 2099-01-31");
            await Expect(page.Locator("#estimates .assumptions li")).ToHaveTextAsync(["Client provides admin access", "Mailboxes under 50 GB"]);
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
            Assert.Contains("7 Harbour Road", text, StringComparison.Ordinal);
            Assert.Contains("D02 XY45 Dublin", text, StringComparison.Ordinal);
            Assert.Contains("VAT IE1234567T", text, StringComparison.Ordinal);
        }
    }
}
