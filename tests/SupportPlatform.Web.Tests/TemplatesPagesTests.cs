using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// The template admin page in Chromium: an invalid edit is refused with its line, a valid one previewed with sample
/// data, saved (the API then serves it), shown in the history with a diff, and reverted; the editor fits a phone.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class TemplatesPagesTests(WebFixture fixture)
{
    private const string Api = "/api/admin/templates/mail/mail-rejected.sbn";

    [Fact]
    public async Task TemplatesPage_EditValidatePreviewSave_HistoryDiff_Revert()
    {
        await using var session = await fixture.OpenAsync(TestUser.Admin, bypassCsp: true);
        var page = session.Page;
        await page.GotoReadyAsync("/console/admin/templates");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Templates", Exact = true })).ToBeVisibleAsync();
        foreach (var kind in new[] { "Mail", "Reports", "Billing" })
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = kind, Exact = true })).ToBeVisibleAsync();
        }

        var row = page.Locator("#template-list tr", new() { HasText = "mail-rejected.sbn" });
        await Expect(row).ToContainTextAsync("shipped");
        await row.GetByRole(AriaRole.Button, new() { Name = "Edit mail mail-rejected.sbn" }).ClickAsync();
        var source = page.GetByLabel("Template text of mail-rejected.sbn");
        await Expect(source).ToBeFocusedAsync();
        await Expect(source).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^Subject:"));

        // An unknown variable: refused with its line, nothing saved.
        await source.FillAsync("Subject: Too big: {{ subject }}\n\nHello {{ nobody.name }}\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.Locator("#template-problems")).ToContainTextAsync("Line 3");

        // A valid edit: previewed with the sample model, then saved.
        await source.FillAsync("Subject: Too big: {{ subject }}\n\nWe take at most {{ max_files }} files. WEB-EDIT\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Validate" }).ClickAsync();
        await Expect(page.Locator("#template-problems")).ToContainTextAsync("The template is valid.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Expect(page.Locator("#template-preview")).ToContainTextAsync("Too big: Big logs");
        await Expect(page.Locator("#template-preview pre")).ToContainTextAsync("We take at most 10 files. WEB-EDIT");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.Locator("#template-history")).ToContainTextAsync("saved by ada");
        await Expect(page.Locator("#template-origin")).ToContainTextAsync("saved here");
        await Expect(row).ToContainTextAsync("saved here");
        var violations = await PageChecks.AxeViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));

        using (var api = await fixture.ApiAsync(TestUser.Admin))
        {
            var current = await WebFixture.Ok(await api.GetAsync(Api));
            Assert.Contains("WEB-EDIT", current.GetProperty("current").GetProperty("source").GetString(), StringComparison.Ordinal);
        }

        // History: the diff of the saved version against the shipped text marks the new line.
        var version = (await page.Locator("#template-history li").First.TextContentAsync())!;
        var number = System.Text.RegularExpressions.Regex.Match(version, @"Version (\d+)").Groups[1].Value;
        await page.GetByRole(AriaRole.Button, new() { Name = $"Compare version {number} with the one before" }).ClickAsync();
        await Expect(page.Locator("#template-diff .kb-diff-inserted", new() { HasText = "WEB-EDIT" })).ToBeVisibleAsync();

        // Revert: the shipped text is in effect again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Revert to shipped" }).ClickAsync();
        await Expect(page.Locator("#template-origin")).ToContainTextAsync("In effect: shipped");
        await Expect(source).Not.ToHaveValueAsync(new System.Text.RegularExpressions.Regex("WEB-EDIT"));
        await Expect(row).ToContainTextAsync("shipped");
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task TemplatesPage_PhoneWidth_EditorFits_HtmlPreviewShown()
    {
        await using var session = await fixture.OpenAsync(TestUser.Admin, width: 375, height: 740);
        var page = session.Page;
        await page.GotoReadyAsync("/console/admin/templates");
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit billing invoice.html.sbn" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Expect(page.Locator("#template-preview iframe[title='HTML preview']")).ToBeVisibleAsync();
        Assert.Equal(0, await PageChecks.HorizontalOverflowAsync(page));
        Assert.Empty(session.Errors);
    }
}
