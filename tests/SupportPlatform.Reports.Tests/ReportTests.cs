using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Reports.Tests;

public sealed class SqliteReportTests(SqliteReports fixture) : ReportTests(fixture), IClassFixture<SqliteReports>;

public sealed class PostgreSqlReportTests(PostgreSqlReports fixture) : ReportTests(fixture), IClassFixture<PostgreSqlReports>;

/// <summary>Reports built by the real host from the seeded read model: exact figures, rendered output, sending, next steps.</summary>
public abstract class ReportTests(ReportFixture fixture)
{
    private static double Num(JsonNode? node) => node!.GetValue<double>();

    [Fact]
    public async Task MonthlyReport_October_FiguresAreExact_AcrossTheDstChange()
    {
        var r = await ReportFixture.Json(await fixture.Staff.GetAsync("/api/reports/accounts/acme/monthly/2026-10"), 200);

        Assert.Equal("2026-09-30T23:00:00+00:00", (string)r["from"]!);
        Assert.Equal("2026-11-01T00:00:00+00:00", (string)r["to"]!);
        Assert.Equal(8, (int)r["opened"]!);
        Assert.Equal(6, (int)r["resolved"]!);
        var channels = r["channels"]!.AsArray().ToDictionary(c => (string)c!["channel"]!, c => ((int)c!["opened"]!, (int)c["resolved"]!));
        Assert.Equal((2, 1), channels["portal"]);
        Assert.Equal((3, 2), channels["email"]);
        Assert.Equal((1, 1), channels["phone"]);
        Assert.Equal((1, 1), channels["voicemail"]);
        Assert.Equal((1, 1), channels["monitoring"]);

        // First responses 20, 30, 30, 45, 90, 100, 120 (91001: 120 business minutes over the weekend the clocks went back).
        Assert.Equal((7, 45.0, 120.0), ((int)r["firstResponse"]!["count"]!, Num(r["firstResponse"]!["medianMinutes"]), Num(r["firstResponse"]!["p90Minutes"])));

        // Resolutions 120, 120, 240, 360, 570, 720: median (240 + 360) / 2; 91004 took 4 real hours from 23:30 BST to 02:30 GMT.
        Assert.Equal((6, 300.0, 720.0), ((int)r["resolution"]!["count"]!, Num(r["resolution"]!["medianMinutes"]), Num(r["resolution"]!["p90Minutes"])));

        var compliance = r["compliance"]!.AsArray().ToDictionary(c => (string)c!["priority"]!, c => c!);
        Assert.Equal((3, 1, 66.67), ((int)compliance["Critical"]["tickets"]!, (int)compliance["Critical"]["breached"]!, Num(compliance["Critical"]["compliancePercent"])));
        Assert.Equal((2, 0, 100.0), ((int)compliance["High"]["tickets"]!, (int)compliance["High"]["breached"]!, Num(compliance["High"]["compliancePercent"])));
        Assert.Equal((2, 0, 100.0), ((int)compliance["Normal"]["tickets"]!, (int)compliance["Normal"]["breached"]!, Num(compliance["Normal"]["compliancePercent"])));
        Assert.Equal((1, 1, 0.0), ((int)compliance["Low"]["tickets"]!, (int)compliance["Low"]["breached"]!, Num(compliance["Low"]["compliancePercent"])));
        Assert.Equal(75.0, Num(r["compliancePercent"]));
        Assert.Equal((120.0, 240.0), (Num(compliance["Critical"]["resolution"]!["medianMinutes"]), Num(compliance["Critical"]["resolution"]!["p90Minutes"])));

        var breaches = r["breaches"]!.AsArray();
        Assert.Equal([91004L, 91007L], breaches.Select(b => (long)b!["ticketId"]!));
        Assert.Equal(["resolution", "first-response"], breaches.Select(b => (string)b!["clock"]!));
        Assert.Equal("2026-10-29T10:00:00+00:00", (string)breaches[1]!["dueAt"]!);

        // 745 hours less 120 minutes of maintenance = 44580 measured minutes; down 30 + 60 (the other hour is maintenance).
        var uptime = r["uptime"]!.AsArray().Single()!;
        Assert.Equal(("srv-01", 99.7981, 90.0, 120.0, 44580.0, false), ((string)uptime["name"]!, Num(uptime["uptimePercent"]), Num(uptime["downMinutes"]),
            Num(uptime["maintenanceMinutes"]), Num(uptime["measuredMinutes"]), (bool)uptime["meetsTarget"]!));

        Assert.Equal((600, 660, 660, 60), ((int)r["phone"]!["allowanceMinutes"]!, (int)r["phone"]!["usedInPeriodMinutes"]!, (int)r["phone"]!["usedInMonthMinutes"]!, (int)r["phone"]!["overageMinutes"]!));

        var weeks = r["weeks"]!.AsArray();
        Assert.Equal(["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"], weeks.Select(w => (string)w!["week"]!));
        Assert.Equal([1, 2, 1, 2, 2], weeks.Select(w => (int)w!["opened"]!));
        Assert.Equal([1, 2, 1, 1, 1], weeks.Select(w => (int)w!["resolved"]!));
        Assert.Equal([0, 0, 0, 1, 1], weeks.Select(w => (int)w!["breaches"]!));
        Assert.Equal("10-26 to 10-31", (string)weeks[4]!["dates"]!);

        var trends = r["trends"]!.AsArray();
        Assert.Equal(["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"], trends.Select(m => (string)m!["month"]!));
        Assert.Equal([0, 0, 0, 660, 660, 660], trends.Select(m => (int)m!["phoneUsedMinutes"]!));
        Assert.Equal(8, (int)trends[5]!["opened"]!);
        Assert.Equal(99.7981, Num(trends[5]!["uptimePercent"]));

        var insights = r["insights"]!.AsArray().Select(i => ((string)i!["rule"]!, (string)i["text"]!)).ToList();
        Assert.Contains(("recurring-alerts", "disk alerts on srv-01 recurred 5 times"), insights);
        Assert.Contains(("after-hours-critical", "100% of critical tickets (3 of 3) arrived outside business hours"), insights);
        Assert.Contains(("phone-allowance-early", "Phone allowance exhausted by the 20th for 3 months (2026-08: day 20, 2026-09: day 15, 2026-10: day 18)"), insights);
        Assert.Contains(("sla-compliance", "SLA compliance for Critical tickets was 66.67% (2 of 3 without a breach)"), insights);
        Assert.Contains(("sla-compliance", "SLA compliance for Low tickets was 0% (0 of 1 without a breach)"), insights);
        Assert.Contains(("uptime-below-target", "srv-01 was up 99.798%, below the target of 99.9% (90 min down outside maintenance)"), insights);
        Assert.Equal(6, insights.Count);
        Assert.Equal(6, r["rules"]!.AsArray().Count);
    }

    [Fact]
    public async Task WeeklyReport_Week43_HasTheExtraHourAndItsOwnFigures()
    {
        var r = await ReportFixture.Json(await fixture.Manager.GetAsync("/api/reports/accounts/acme/weekly/2026-W43"), 200);
        Assert.Equal("2026-10-18T23:00:00+00:00", (string)r["from"]!);
        Assert.Equal("2026-10-26T00:00:00+00:00", (string)r["to"]!);
        Assert.Equal((2, 1), ((int)r["opened"]!, (int)r["resolved"]!));
        Assert.Equal((2, 110.0, 120.0), ((int)r["firstResponse"]!["count"]!, Num(r["firstResponse"]!["medianMinutes"]), Num(r["firstResponse"]!["p90Minutes"])));
        Assert.Equal((1, 240.0), ((int)r["resolution"]!["count"]!, Num(r["resolution"]!["medianMinutes"])));
        var uptime = r["uptime"]!.AsArray().Single()!;
        Assert.Equal((99.4012, 60.0, 10020.0), (Num(uptime["uptimePercent"]), Num(uptime["downMinutes"]), Num(uptime["measuredMinutes"])));
        Assert.Equal(60, (int)r["phone"]!["usedInPeriodMinutes"]!); // the 60 minutes of 25 October (the 18th is in week 42)
        Assert.Empty(r["weeks"]!.AsArray());
        Assert.Empty(r["trends"]!.AsArray());
    }

    [Fact]
    public async Task Reports_AreOnlyVisibleToStaffAndTheAccountsOwnUsers_AndBadPeriodsAreNamed()
    {
        await ReportFixture.Json(await fixture.OtherClient.GetAsync("/api/reports/accounts/acme/monthly/2026-10"), 404);
        await ReportFixture.Json(await fixture.Manager.PostAsync("/api/reports/accounts/acme/monthly/2026-10/send", null), 403);
        var bad = await ReportFixture.Json(await fixture.Staff.GetAsync("/api/reports/accounts/acme/monthly/2026-13"), 400);
        Assert.Equal("bad-period", (string)bad["code"]!);
        Assert.Contains("'2026-13' is not a month", (string)bad["detail"]!);
        var settings = await ReportFixture.Json(await fixture.Staff.PutAsJsonAsync("/api/reports/accounts/acme/settings", new { weeklyDay = "someday", weeklyHour = 25, recipients = new[] { "not-an-address" } }), 400);
        Assert.Contains("weeklyDay is 'someday'", (string)settings["detail"]!);
        Assert.Contains("weeklyHour is 25", (string)settings["detail"]!);
        Assert.Contains("'not-an-address' is not an email address", (string)settings["detail"]!);
    }

    [Fact]
    public async Task HtmlAndPdf_ShowTheNumbers_AndOnePageIsSavedAsPng()
    {
        var response = await fixture.Staff.GetAsync("/api/reports/accounts/acme/monthly/2026-10/html");
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, html);
        Assert.Contains("<b id=\"kpi-opened\">8</b>", html);
        Assert.Contains("<td class=\"n\" id=\"fr-median\">45 min</td>", html);
        Assert.Contains("<td class=\"n\" id=\"fr-p90\">2 h 00 min</td>", html);
        Assert.Contains("<td class=\"n\" id=\"res-median\">5 h 00 min</td>", html);
        Assert.Contains("99.798%", html);
        Assert.Contains("66.67%", html);
        Assert.Contains("11.00 h / 10.00 h", html);
        Assert.Contains("disk alerts on srv-01 recurred 5 times", html);
        Assert.Equal(4, html.Split("src=\"data:image/png;base64,").Length - 1);

        var pdf = await fixture.Staff.GetAsync("/api/reports/accounts/acme/monthly/2026-10/pdf");
        var bytes = await pdf.Content.ReadAsByteArrayAsync();
        Assert.True(pdf.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(bytes));
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType!.MediaType);
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "reports");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"monthly-2026-10-{fixture.Provider}.pdf".ToLowerInvariant());
        await File.WriteAllBytesAsync(file, bytes);
        var text = Run("pdftotext", "-layout", file, "-");
        Assert.Contains("Acme Corp", text);
        Assert.Contains("45 min", text);
        Assert.Contains("99.798%", text);
        Assert.Contains("66.67%", text);
        Assert.Contains("disk alerts on srv-01 recurred 5 times", text);

        // A human look: the first page as PNG, kept with the test results.
        Run("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", file, Path.ChangeExtension(file, null));
        Assert.True(new FileInfo(Path.ChangeExtension(file, ".png")).Length > 10_000);
    }

    [Fact]
    public async Task Presentation_HasOneSlidePerSection_AndTheStaffReportCoversAllAccounts()
    {
        var html = await (await fixture.Manager.GetAsync("/api/reports/accounts/acme/monthly/2026-10/presentation")).Content.ReadAsStringAsync();
        Assert.Equal(8, html.Split("<section class=\"slide").Length - 1);
        Assert.Contains("SLA compliance: 75%", html);

        var staff = await ReportFixture.Json(await fixture.Staff.GetAsync("/api/reports/staff/monthly/2026-10"), 200);
        var sam = staff["agents"]!.AsArray().Single(a => (string)a!["agent"]! == "sam")!;
        Assert.Equal((8, 2, 75.0), ((int)sam["tickets"]!, (int)sam["breached"]!, Num(sam["compliancePercent"])));
        Assert.Equal(8, (int)staff["groups"]!.AsArray().Single(g => (string)g!["agent"]! == "L1")!["tickets"]!);
        Assert.Equal(2, staff["breaches"]!.AsArray().Count);
        var acme = staff["accounts"]!.AsArray().Single(a => (string)a!["accountId"]! == "acme")!;
        Assert.Equal((660, 8, 2), ((int)acme["phoneMinutes"]!, (int)acme["tickets"]!, (int)acme["breaches"]!));
        var backlog = staff["backlog"]!.AsArray().ToDictionary(b => (string)b!["priority"]!, b => (int)b!["open"]!);
        Assert.Equal((1, 1), (backlog["Low"], backlog["High"]));
        await ReportFixture.Json(await fixture.Manager.GetAsync("/api/reports/staff/monthly/2026-10"), 403);
        var page = await (await fixture.Staff.GetAsync("/api/reports/staff/monthly/2026-10/html")).Content.ReadAsStringAsync();
        Assert.Contains("<td>Acme Corp</td><td class=\"n\">8</td><td class=\"n\">2</td><td class=\"n\">11.00 h</td>", page);
    }

    private static string Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed: {error}");
        return output;
    }
}
