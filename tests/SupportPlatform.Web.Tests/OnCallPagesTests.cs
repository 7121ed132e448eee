using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>The on-call pages in the browser: an admin creates a schedule with a layer, adds an override, and sees who is on call now.</summary>
[Collection(WebCollection.Name)]
public sealed class OnCallPagesTests(WebFixture fixture)
{
    [Fact]
    public async Task OnCall_CreateScheduleWithLayerAndOverride_OnCallNowShowsTheOverride()
    {
        var schedule = WebFixture.Unique("nights");
        var team = WebFixture.Unique("team");
        var uwe = TestUser.Agent(WebFixture.Unique("uwe"), "Uwe Layer");
        var vera = TestUser.Agent(WebFixture.Unique("vera"), "Vera Swap");
        foreach (var user in new[] { uwe, vera })
        {
            using (await fixture.ApiAsync(user))
            {
            }
        }

        await using var session = await fixture.OpenAsync(TestUser.Admin, bypassCsp: true);
        var page = session.Page;
        await page.GotoReadyAsync("/console/oncall/schedules");
        await page.GetByLabel("Schedule id").FillAsync(schedule);
        await page.GetByLabel("Team").FillAsync(team);
        await page.GetByLabel("Time zone").FillAsync("Europe/London");
        await page.GetByLabel("Layer name").FillAsync("weekly");
        await page.GetByLabel("Users").FillAsync(uwe.Id);
        await page.GetByLabel("Hand-off", new() { Exact = true }).SelectOptionAsync("daily");
        await page.GetByLabel("First hand-off date").FillAsync(DateTime.UtcNow.AddDays(-3).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Create schedule" }).ClickAsync();
        var row = page.Locator("#schedule-list tr", new() { HasText = schedule });
        await Expect(row).ToContainTextAsync($"weekly: {uwe.Id} (daily at 09:00");

        // Before the override the layer's user is on call.
        await page.GotoReadyAsync("/console/oncall/now");
        var now = page.Locator("tr", new() { HasText = schedule });
        await Expect(now).ToContainTextAsync(uwe.Id);
        await Expect(now).ToContainTextAsync("layer:weekly");

        // Vera takes over from an hour ago to an hour from now, entered in the browser's local time.
        await page.GotoReadyAsync("/console/oncall/schedules");
        await page.GetByLabel("Schedule", new() { Exact = true }).SelectOptionAsync(schedule);
        await page.GetByLabel("On call instead").FillAsync(vera.Id);
        var window = await page.EvaluateAsync<string[]>(
            "() => { const f = ms => { const d = new Date(ms); return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); }; return [f(Date.now() - 3600e3), f(Date.now() + 3600e3)]; }");
        await page.GetByLabel("From").FillAsync(window[0]);
        await page.GetByLabel("Until").FillAsync(window[1]);
        await page.GetByLabel("Reason").FillAsync("swap");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add override" }).ClickAsync();
        await Expect(page.Locator("#announcer")).ToHaveTextAsync("Override added.");
        var violations = await PageChecks.AxeViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));

        await page.GotoReadyAsync("/console/oncall/now");
        now = page.Locator("tr", new() { HasText = schedule });
        await Expect(now).ToContainTextAsync(vera.Id);
        await Expect(now).ToContainTextAsync("override");
        await Expect(now).ToContainTextAsync(team);
        Assert.Empty(session.Errors);
    }
}
