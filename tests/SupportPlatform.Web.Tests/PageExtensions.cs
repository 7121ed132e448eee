using Microsoft.Playwright;

namespace SupportPlatform.Web.Tests;

internal static class PageExtensions
{
    /// <summary>Opens <paramref name="url"/> and waits until the page has loaded its data and wired its forms (body[data-ready]).</summary>
    public static async Task GotoReadyAsync(this IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("body[data-ready]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
    }
}
