using System.Globalization;
using System.Net.Http.Json;
using MimeKit;
using SupportPlatform.Email.Tests;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Reports.Tests;

/// <summary>The report fixture with a real SMTP server on loopback behind the email outbox.</summary>
public abstract class DeliveryFixture(DatabaseProvider provider) : ReportFixture(provider)
{
    public SmtpSink Smtp { get; } = new();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["SupportPlatform:Email:From"] = "Acme MSP <support@msp.tests.example>",
        ["SupportPlatform:Email:Smtp:Host"] = "127.0.0.1",
        ["SupportPlatform:Email:Smtp:Port"] = Smtp.Port.ToString(CultureInfo.InvariantCulture),
        ["SupportPlatform:Email:Smtp:Security"] = "None",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

public sealed class SqliteDelivery() : DeliveryFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlDelivery() : DeliveryFixture(DatabaseProvider.PostgreSql);

public sealed class SqliteDeliveryTests(SqliteDelivery fixture) : DeliveryTests(fixture), IClassFixture<SqliteDelivery>;

public sealed class PostgreSqlDeliveryTests(PostgreSqlDelivery fixture) : DeliveryTests(fixture), IClassFixture<PostgreSqlDelivery>;

/// <summary>Sending: idempotent per period across a restart, charts inline, broken templates stop everything, next steps, schedules.</summary>
public abstract class DeliveryTests(DeliveryFixture fixture)
{
    [Fact]
    public async Task Send_ArrivesWithInlineCharts_AndIsSentOncePerPeriod_EvenAfterARestart()
    {
        var first = await ReportFixture.Json(await fixture.Staff.PostAsync("/api/reports/accounts/acme/monthly/2026-10/send", null), 200);
        Assert.False((bool)first["alreadySent"]!);
        Assert.Equal(["mia@acme.tests.example"], first["run"]!["recipients"]!.AsArray().Select(x => (string)x!));

        var message = await fixture.Smtp.WaitForAsync(m => m.Subject == "Acme Corp: monthly support report, October 2026");
        var html = message.HtmlBody;
        Assert.Contains("cid:chart-volume@supportplatform", html);
        Assert.Contains("<td class=\"n\" id=\"fr-median\">45 min</td>", html);
        var related = message.BodyParts.OfType<MimePart>().Where(p => p.ContentType.MimeType == "image/png").ToList();
        Assert.Equal(["chart-volume@supportplatform", "chart-times@supportplatform", "chart-uptime@supportplatform", "chart-phone@supportplatform"], related.Select(p => p.ContentId));
        Assert.Contains(All(message.Body!), e => e is MultipartRelated);
        Assert.Contains("First response: median 45 min, 90th percentile 2 h 00 min (7 tickets)", message.TextBody);

        var again = await ReportFixture.Json(await fixture.Staff.PostAsync("/api/reports/accounts/acme/monthly/2026-10/send", null), 200);
        Assert.True((bool)again["alreadySent"]!);

        await fixture.RestartAsync();
        var afterRestart = await ReportFixture.Json(await fixture.Staff.PostAsync("/api/reports/accounts/acme/monthly/2026-10/send", null), 200);
        Assert.True((bool)afterRestart["alreadySent"]!);
        Assert.Equal(first["run"]!["sentAt"]!.ToString(), afterRestart["run"]!["sentAt"]!.ToString());
        Assert.Equal(1L, await fixture.QueryScalarAsync<long>("SELECT COUNT(*) FROM sp_mail_outbox WHERE purpose = 'report-monthly' AND to_address = 'mia@acme.tests.example'"));
        Assert.Equal(1L, await fixture.QueryScalarAsync<long>("SELECT COUNT(*) FROM sp_report_runs WHERE account_id = 'acme' AND kind = 'monthly' AND period = '2026-10'"));
        var runs = await ReportFixture.Json(await fixture.Staff.GetAsync("/api/reports/accounts/acme/runs"), 200);
        Assert.Contains(runs.AsArray(), r => (string)r!["period"]! == "2026-10" && (string)r["sentVia"]! == "manual");

        // A period that is not over yet is previewed, never sent.
        var now = fixture.Clock.GetUtcNow();
        var current = await ReportFixture.Json(await fixture.Staff.PostAsync($"/api/reports/accounts/acme/monthly/{now:yyyy-MM}/send", null), 409);
        Assert.Equal("period-not-over", (string)current["code"]!);
    }

    private static IEnumerable<MimeEntity> All(MimeEntity entity) => entity is Multipart multipart ? multipart.SelectMany(All).Prepend(entity) : [entity];

    [Fact]
    public async Task BrokenTemplate_NamesTheFileAndLine_AndNothingIsSent()
    {
        var folder = Path.Combine(fixture.Data.Path, "templates", "reports", "accounts", "globex");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "report.html.sbn");
        try
        {
            await File.WriteAllTextAsync(file, "<html>\n<body>\n{{ end }}\n</body>\n");
            var parse = await ReportFixture.Json(await fixture.Staff.PostAsync("/api/reports/accounts/globex/monthly/2026-10/send", null), 422);
            Assert.Equal("template-error", (string)parse["code"]!);
            Assert.Equal(file, (string)parse["file"]!);
            Assert.Equal(3, (int)parse["line"]!);
            Assert.Contains($"Report template {file}, line 3:", (string)parse["detail"]!);

            await File.WriteAllTextAsync(file, "<html>\n<p>{{ report.no_such_figure }}</p>\n");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
            var runtime = await ReportFixture.Json(await fixture.Staff.PostAsync("/api/reports/accounts/globex/monthly/2026-10/send", null), 422);
            Assert.Equal(2, (int)runtime["line"]!);
            Assert.Contains("no_such_figure", (string)runtime["detail"]!);

            Assert.Equal(0L, await fixture.QueryScalarAsync<long>("SELECT COUNT(*) FROM sp_report_runs WHERE account_id = 'globex'"));
            Assert.Equal(0L, await fixture.QueryScalarAsync<long>("SELECT COUNT(*) FROM sp_mail_outbox WHERE to_address = 'gus@globex.tests.example' AND purpose LIKE 'report-%'"));
        }
        finally
        {
            File.Delete(file);
        }

        // Fixed (the override removed): it goes out.
        var sent = await ReportFixture.Json(await fixture.Staff.PostAsync("/api/reports/accounts/globex/monthly/2026-10/send", null), 200);
        Assert.False((bool)sent["alreadySent"]!);
        Assert.Equal(1L, await fixture.QueryScalarAsync<long>("SELECT COUNT(*) FROM sp_mail_outbox WHERE to_address = 'gus@globex.tests.example' AND purpose = 'report-monthly'"));
    }

    [Fact]
    public async Task NextStepsAndNotes_AreCarriedIntoTheNextReport_UntilDone()
    {
        var step = await ReportFixture.Json(await fixture.Staff.PostAsJsonAsync("/api/reports/accounts/acme/next-steps", new { text = "Replace the srv-01 disks", agreedIn = "2026-09" }), 201);
        await ReportFixture.Json(await fixture.Staff.PostAsJsonAsync("/api/reports/accounts/acme/monthly/2026-09/notes", new { body = "Client asked for a quote for new disks" }), 201);
        await ReportFixture.Json(await fixture.Staff.PostAsJsonAsync("/api/reports/accounts/acme/next-steps", new { text = "" }), 400);

        var october = await ReportFixture.Json(await fixture.Staff.GetAsync("/api/reports/accounts/acme/monthly/2026-10"), 200);
        Assert.Contains(october["nextSteps"]!.AsArray(), s => (string)s!["text"]! == "Replace the srv-01 disks" && (string)s["agreedIn"]! == "2026-09");
        Assert.Equal(["Client asked for a quote for new disks"], october["previousNotes"]!.AsArray().Select(n => (string)n!["body"]!));
        var page = await (await fixture.Staff.GetAsync("/api/reports/accounts/acme/monthly/2026-10/html")).Content.ReadAsStringAsync();
        Assert.Contains("Replace the srv-01 disks <span class=\"muted\">(agreed in 2026-09)</span>", page);
        Assert.Contains("Client asked for a quote for new disks", page);

        var id = (string)step["id"]!;
        await ReportFixture.Json(await fixture.Staff.PutAsJsonAsync($"/api/reports/accounts/acme/next-steps/{id}", new { status = "finished" }), 400);
        await ReportFixture.Json(await fixture.Staff.PutAsJsonAsync($"/api/reports/accounts/acme/next-steps/{id}", new { status = "done" }), 200);
        var november = await ReportFixture.Json(await fixture.Staff.GetAsync("/api/reports/accounts/acme/monthly/2026-11"), 200);
        Assert.DoesNotContain(november["nextSteps"]!.AsArray(), s => (string)s!["id"]! == id);
        var all = await ReportFixture.Json(await fixture.Staff.GetAsync("/api/reports/accounts/acme/next-steps?all=true"), 200);
        Assert.Contains(all.AsArray(), s => (string)s!["id"]! == id && (string)s["status"]! == "done");
    }

    [Fact]
    public async Task Schedule_SendsLastWeeksReport_OnTheChosenWeekday_ByTheDurableScheduler()
    {
        var zone = NodaTime.DateTimeZoneProviders.Tzdb["Europe/London"];
        var today = NodaTime.Instant.FromDateTimeOffset(fixture.Clock.GetUtcNow()).InZone(zone).Date;
        var sendDay = today.PlusDays(1);
        var expected = ISOWeek.GetYear(sendDay.PlusDays(-7).ToDateTimeUnspecified()).ToString("D4", CultureInfo.InvariantCulture)
            + "-W" + ISOWeek.GetWeekOfYear(sendDay.PlusDays(-7).ToDateTimeUnspecified()).ToString("D2", CultureInfo.InvariantCulture);
        var settings = await ReportFixture.Json(await fixture.Staff.PutAsJsonAsync("/api/reports/accounts/acme/settings", new
        {
            weeklyEnabled = true,
            weeklyDay = sendDay.DayOfWeek.ToString().ToLowerInvariant(),
            weeklyHour = 6,
        }), 200);
        Assert.Equal(6, settings["weeklyHour"]!.GetValue<int>());
        Assert.Null(settings["uptimeTargetPercent"]);
        var due = zone.AtLeniently(sendDay.At(new NodaTime.LocalTime(6, 0))).ToDateTimeOffset();

        // Nothing before the due time...
        fixture.Clock.Advance(due - fixture.Clock.GetUtcNow() - TimeSpan.FromMinutes(10));
        await Task.Delay(500);
        Assert.Equal(0L, await fixture.QueryScalarAsync<long>("SELECT COUNT(*) FROM sp_report_runs WHERE account_id = 'acme' AND kind = 'weekly'"));

        // ...then the week before the send day, once.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await fixture.QueryScalarAsync<long>("SELECT COUNT(*) FROM sp_report_runs WHERE account_id = 'acme' AND kind = 'weekly'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the scheduled weekly report was not sent");
            fixture.Clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(200);
        }

        var runs = await ReportFixture.Json(await fixture.Staff.GetAsync("/api/reports/accounts/acme/runs"), 200);
        var weekly = runs.AsArray().Single(r => (string)r!["kind"]! == "weekly")!;
        Assert.Equal((expected, "schedule"), ((string)weekly["period"]!, (string)weekly["sentVia"]!));
        Assert.True(DateTimeOffset.Parse((string)weekly["sentAt"]!, CultureInfo.InvariantCulture) >= due);
    }
}
