using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using static Microsoft.Playwright.Assertions;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// The reports pages: staff preview the running week, edit the agreed next steps, record a note, set the schedule and
/// send last week's report (a second send says it was already sent); the client user of the account opens the report
/// page and sees its numbers and the next steps, downloads the PDF and presents it; another account's user sees nothing.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class ReportsPagesTests(WebFixture fixture)
{
    // The report page in the frame is built on every (re)load, charts included; on a busy 2-core test run that can take
    // longer than Playwright's 5 s default for assertions.
    private static readonly Microsoft.Playwright.LocatorAssertionsToContainTextOptions FrameWait = new() { Timeout = 30_000 };
    private static readonly Microsoft.Playwright.LocatorAssertionsToHaveTextOptions FrameText = new() { Timeout = 30_000 };

    private static async Task OkAsync(HttpResponseMessage response) =>
        Assert.True(WebFixture.IsSuccess(response.StatusCode), $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

    [Fact]
    public async Task StaffEditsNextStepsAndSends_ClientOpensReportPdfAndPresentation()
    {
        var account = WebFixture.Unique("rep");
        var other = WebFixture.Unique("rep-other");
        await fixture.EnsureAccountAsync(account, "Reported Ltd");
        await fixture.EnsureAccountAsync(other, "Other Reported Ltd");
        using var api = await fixture.ApiAsync(TestUser.Admin);

        // Last week (Europe/London, ISO): six warning alerts of one disk check on a monitored system; this week: two tickets.
        var host = $"{account}.example";
        await OkAsync(await api.PutAsJsonAsync($"/api/monitoring/systems/{account}-srv", new { accountId = account, name = "File server", hostNames = new[] { host } }));
        var weekAgo = DateTimeOffset.UtcNow.AddDays(-7);
        await OkAsync(await api.PostAsJsonAsync("/api/monitoring/alerts", Enumerable.Range(0, 6).Select(i => new
        {
            source = "api", system = host, check = "disk /srv", state = "warning", dedupKey = $"{host}/disk", occurredAt = weekAgo.AddMinutes(i - 5), summary = $"DISK WARNING - /srv {91 + i}% used",
        }).ToArray()));
        await WebFixture.CreateTicketAsync(api, account, "rita", "Printer offline");
        await WebFixture.CreateTicketAsync(api, account, "rita", "New laptop");

        // This week too: two client mails through the email module's intake (the mail pipe's endpoint), each opening a
        // ticket; staff answer the first one publicly, so the preview counts 2 emails received and 1 answered.
        await WebFixture.Ok(await api.PutAsJsonAsync($"/api/accounts/{account}", new { name = "Reported Ltd", timeZone = "Europe/London", emailDomains = new[] { $"mail.{account}.example" } }));
        var mailTickets = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            var message = System.Text.Encoding.UTF8.GetBytes(
                $"From: Rita <rita@mail.{account}.example>\r\nTo: support@msp.example\r\nSubject: Mail {i}\r\nMessage-ID: <{account}-{i}@mail.{account}.example>\r\n"
                + $"Date: {DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture)}\r\n\r\nPlease help ({i}).\r\n");
            var received = await WebFixture.Ok(await api.PostAsync("/api/mail/inbound/pipe", new ByteArrayContent(message)));
            Assert.Equal("ticket-created", received.GetProperty("disposition").GetString());
            mailTickets.Add(long.Parse(received.GetProperty("ticketId").ToString(), CultureInfo.InvariantCulture));
        }

        await WebFixture.CommentAsync(api, mailTickets[0], "We are on it.");
        await WebFixture.CommentAsync(api, mailTickets[1], "Internal: check the logs first.", "internal");

        var london = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
        string Week(DateTimeOffset at)
        {
            var local = TimeZoneInfo.ConvertTime(at, london).DateTime;
            return $"{ISOWeek.GetYear(local):D4}-W{ISOWeek.GetWeekOfYear(local):D2}";
        }

        var lastWeek = Week(weekAgo.AddMinutes(-5));
        var thisWeek = Week(DateTimeOffset.UtcNow);
        const string Step = "Replace the disk of the file server";
        const string StepEdited = "Replace the disk of the file server before the 20th";

        await using (var staff = await fixture.OpenAsync(TestUser.Admin))
        {
            var page = staff.Page;
            await page.GotoReadyAsync($"/console/reports?account={account}");
            var list = page.Locator("#period-list");
            await Expect(list.Locator($"tr[data-period='{thisWeek}']")).ToContainTextAsync("running: preview");
            await Expect(list.Locator($"tr[data-period='{lastWeek}']")).ToContainTextAsync("not sent");
            await Expect(list.Locator("tbody tr")).ToHaveCountAsync(13);

            // The running week, previewed: the four tickets of this week and the two mails, and nothing to send yet.
            await page.Locator($"button[data-open='{thisWeek}']").ClickAsync();
            var frame = page.FrameLocator("#report-frame");
            await Expect(frame.Locator("#kpi-opened")).ToHaveTextAsync("4", FrameText);
            await Expect(frame.Locator("#kpi-emails-received")).ToHaveTextAsync("2", FrameText);
            await Expect(frame.Locator("#kpi-emails-answered")).ToHaveTextAsync("1", FrameText);
            await Expect(page.Locator("#send")).ToHaveCountAsync(0);

            // The schedule and recipients.
            await page.Locator("#weekly-enabled").CheckAsync();
            await page.Locator("#weekly-day").SelectOptionAsync("friday");
            await page.Locator("#weekly-hour").FillAsync("9");
            await page.Locator("#recipients").FillAsync($"cto@{account}.example\nit@{account}.example");
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Save schedule" }).ClickAsync();
            await Expect(page.Locator("#settings-form")).ToContainTextAsync("Schedule saved.");
            var settings = await WebFixture.Ok(await api.GetAsync($"/api/reports/accounts/{account}/settings"));
            Assert.True(settings.GetProperty("weeklyEnabled").GetBoolean());
            Assert.Equal(9, settings.GetProperty("weeklyHour").GetInt32());
            Assert.Equal(2, settings.GetProperty("recipients").GetArrayLength());

            // Last week: next step added, then edited; a note; sent, then a second send says it was already sent.
            await page.Locator($"button[data-open='{lastWeek}']").ClickAsync();
            await Expect(frame.Locator("#kpi-opened")).ToHaveTextAsync("0", FrameText);
            await page.Locator("#step-text").FillAsync(Step);
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Add next step" }).ClickAsync();
            var stepInput = page.Locator("#step-list input[type=text]");
            await Expect(stepInput).ToHaveValueAsync(Step);
            await stepInput.FillAsync(StepEdited);
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Save text" }).ClickAsync();
            await Expect(stepInput).ToHaveValueAsync(StepEdited);
            // The edit is stored (checked through the API, so a failure says whether the save or the page's reload went wrong).
            var saved = "";
            for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(30) && !saved.Contains(StepEdited, StringComparison.Ordinal); await Task.Delay(250))
            {
                saved = await api.GetStringAsync($"/api/reports/accounts/{account}/next-steps?all=true");
            }

            Assert.True(saved.Contains(StepEdited, StringComparison.Ordinal),
                $"The edited step was not saved: {saved}; the steps box: {await page.Locator("#next-steps").InnerTextAsync()}; page errors: {string.Join(" | ", staff.Errors)}");
            await Expect(page.Locator("#step-list label")).ToContainTextAsync($"agreed in {lastWeek}");
            await Expect(frame.Locator("body")).ToContainTextAsync(StepEdited, FrameWait);
            await page.Locator("#note-body").FillAsync("The client agreed to the disk upgrade.");
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
            await Expect(page.Locator("#note-list")).ToContainTextAsync("The client agreed to the disk upgrade.");

            await page.Locator("#send").ClickAsync();
            await Expect(page.Locator("#send-result [data-already-sent='false']")).ToContainTextAsync($"Sent to cto@{account}.example, it@{account}.example");
            await page.Locator("#send").ClickAsync();
            await Expect(page.Locator("#send-result [data-already-sent='true']")).ToContainTextAsync("nothing was sent again");
            await Expect(page.Locator($"#period-list tr[data-period='{lastWeek}']")).Not.ToContainTextAsync("not sent");

            // The internal staff report of the period, across accounts.
            var staffReport = await page.Locator("#staff-link").GetAttributeAsync("href");
            var staffPage = await api.GetAsync(staffReport);
            await OkAsync(staffPage);
            Assert.Contains("Reported Ltd", await staffPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Empty(staff.Errors);
        }

        var client = TestUser.Client(WebFixture.Unique("cla"), "Clara Client", account);
        await using (var session = await fixture.OpenAsync(client))
        {
            var page = session.Page;
            await page.GotoReadyAsync("/portal/reports");
            await Expect(page.Locator("header nav a[aria-current='page']")).ToHaveTextAsync("My reports");
            var list = page.Locator("#period-list");
            await Expect(list.Locator("tbody tr")).ToHaveCountAsync(12);
            await Expect(list.Locator($"tr[data-period='{thisWeek}']")).ToHaveCountAsync(0);
            await Expect(page.Locator("#send, #step-form, #settings-form, #note-form")).ToHaveCountAsync(0);
            await page.Locator($"button[data-open='{lastWeek}']").ClickAsync();
            var frame = page.FrameLocator("#report-frame");
            await Expect(frame.Locator("body")).ToContainTextAsync("alerts on File server recurred 6 times", FrameWait);
            await Expect(frame.Locator("body")).ToContainTextAsync(StepEdited, FrameWait);
            await Expect(frame.Locator("#kpi-opened")).ToHaveTextAsync("0", FrameText);

            var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#pdf-link").ClickAsync());
            await using (var pdf = await download.CreateReadStreamAsync())
            {
                var head = new byte[5];
                await pdf.ReadExactlyAsync(head);
                Assert.Equal("%PDF-", System.Text.Encoding.ASCII.GetString(head));
            }

            await page.Locator("#presentation-link").ClickAsync();
            await page.WaitForURLAsync($"**/{lastWeek}/presentation");
            var slides = page.Locator("section.slide");
            Assert.True(await slides.CountAsync() >= 5, $"{await slides.CountAsync()} slides");
            await Expect(page.Locator("section.slide.active")).ToHaveAttributeAsync("data-title", "Title");
            await page.Keyboard.PressAsync("ArrowRight");
            await Expect(page.Locator("section.slide.active")).ToHaveAttributeAsync("data-title", "Activity");
            Assert.Empty(session.Errors);
        }

        // Both pages at phone width: no WCAG 2.1 AA violation (axe-core), no sideways scrolling.
        foreach (var (user, path) in new[] { (TestUser.Admin, $"/console/reports?account={account}"), (client, "/portal/reports") })
        {
            await using var check = await fixture.OpenAsync(user, width: 375, height: 740, bypassCsp: true);
            await check.Page.GotoReadyAsync(path);
            Assert.Empty(await PageChecks.AxeViolationsAsync(check.Page));
            Assert.Equal(0, await PageChecks.HorizontalOverflowAsync(check.Page));
        }

        // The client sees only their own account's reports.
        using var clientApi = await fixture.ApiAsync(client);
        Assert.Equal(HttpStatusCode.NotFound, (await clientApi.GetAsync($"/api/reports/accounts/{other}/periods")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clientApi.GetAsync($"/api/reports/accounts/{other}/weekly/{lastWeek}/html")).StatusCode);
        var own = await WebFixture.Ok(await clientApi.GetAsync($"/api/reports/accounts/{account}/periods?kind=monthly"));
        Assert.Equal(12, own.GetProperty("finished").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await clientApi.GetAsync($"/api/reports/accounts/{account}/periods?kind=daily")).StatusCode);
    }
}
