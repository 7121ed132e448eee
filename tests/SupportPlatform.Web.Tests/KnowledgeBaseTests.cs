using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>The knowledge-base pages in Chromium: portal suggestions while typing a subject, and the console page.</summary>
[Collection(WebCollection.Name)]
public sealed class KnowledgeBaseTests(WebFixture fixture)
{
    private readonly TestUser agent = TestUser.Agent("alice", "Alice Agent");
    private readonly TestUser reviewer = new("staff", "kb-reviewer", "Rita Reviewer", Role: "senior");

    [Fact]
    public async Task Portal_TypingASubject_SuggestsArticleAndThisSolvedItCountsADeflection()
    {
        var account = WebFixture.Unique("kb");
        await fixture.EnsureAccountAsync(account, "Deflect Ltd");
        var word = WebFixture.Unique("plotter").Replace("-", "", StringComparison.Ordinal);
        var id = await PublishAsync($"Reset the {word} after a paper jam", $"Open the front cover of the {word}, remove the sheet, hold **Reset** for 5 seconds.");
        var client = TestUser.Client(WebFixture.Unique("ivy"), "Ivy Client", account);

        await using var session = await fixture.OpenAsync(client);
        var page = session.Page;
        await page.GotoReadyAsync("/portal/new");
        await page.GetByLabel("Subject").PressSequentiallyAsync($"my {word} has a paper ja");

        var suggestion = page.Locator($"#kb-suggestions li[data-article='{id}']");
        await Expect(suggestion).ToContainTextAsync($"Reset the {word} after a paper jam");
        await Expect(suggestion.Locator("mark").First).ToBeVisibleAsync();
        await suggestion.GetByRole(AriaRole.Button, new() { Name = "Read" }).ClickAsync();
        await Expect(suggestion.Locator(".kb-article-body strong")).ToHaveTextAsync("Reset");
        await suggestion.GetByRole(AriaRole.Button, new() { Name = "This solved it" }).ClickAsync();
        await Expect(suggestion).ToContainTextAsync("No ticket was opened.");

        using var api = await fixture.ApiAsync(agent);
        var article = await WebFixture.Ok(await api.GetAsync($"/api/kb/articles/{id}"));
        Assert.Equal(1, article.GetProperty("counts").GetProperty("deflections").GetInt32());
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task Console_KnowledgeBase_SearchOpenAndAccessible()
    {
        var word = WebFixture.Unique("gadget").Replace("-", "", StringComparison.Ordinal);
        var id = await PublishAsync($"Pair the {word} dock", $"Hold the {word} button until the light blinks.");

        await using var session = await fixture.OpenAsync(agent, bypassCsp: true);
        var page = session.Page;
        await page.GotoReadyAsync("/console/kb");
        await page.GetByLabel("Search articles").FillAsync(word);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        await page.Locator($"#kb-results li[data-article='{id}'] a").ClickAsync();
        await Expect(page.Locator("#kb-article h2")).ToHaveTextAsync($"Pair the {word} dock");

        var violations = await PageChecks.AxeViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.Empty(session.Errors);
    }

    private async Task<long> PublishAsync(string title, string body)
    {
        using var author = await fixture.ApiAsync(agent);
        using var senior = await fixture.ApiAsync(reviewer);
        var article = await WebFixture.Ok(await author.PostAsJsonAsync("/api/kb/articles", new { title, body, visibility = "public" }));
        var id = article.GetProperty("id").GetInt64();
        await WebFixture.Ok(await author.PostAsJsonAsync($"/api/kb/articles/{id}/state", new { to = "in-review" }));
        await WebFixture.Ok(await senior.PostAsJsonAsync($"/api/kb/articles/{id}/state", new { to = "published" }));
        return id;
    }
}
