using System.Text.Json;
using Microsoft.Playwright;

namespace SupportPlatform.Web.Tests;

/// <summary>Checks run inside a page: axe-core accessibility rules and layout width.</summary>
internal static class PageChecks
{
    /// <summary>WCAG 2.0 and 2.1, levels A and AA.</summary>
    private static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    /// <summary>Runs axe-core on the page and returns one line per violation (rule, impact, the first offending nodes).</summary>
    public static async Task<IReadOnlyList<string>> AxeViolationsAsync(IPage page)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = WebFixture.AxeScript });
        var json = await page.EvaluateAsync<string>(
            "async tags => JSON.stringify((await axe.run(document, { runOnly: { type: 'tag', values: tags } })).violations)", WcagTags);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(v =>
            $"{v.GetProperty("id").GetString()} ({v.GetProperty("impact").GetString()}): {v.GetProperty("help").GetString()} — "
            + string.Join(" | ", v.GetProperty("nodes").EnumerateArray().Take(3).Select(n => n.GetProperty("html").GetString())))
            .ToList();
    }

    /// <summary>How far the page is wider than the viewport (0 when it does not scroll sideways).</summary>
    public static Task<int> HorizontalOverflowAsync(IPage page) =>
        page.EvaluateAsync<int>("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth");
}
