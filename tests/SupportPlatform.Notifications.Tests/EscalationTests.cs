using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk.Notifications;

namespace SupportPlatform.Notifications.Tests;

/// <summary>
/// On-call schedules and a three-step escalation policy (L1 on call at once, L2 after 10 minutes, the duty manager
/// after 20) on the fake clock: the full chain without acknowledgement, and acknowledgement at each step from the
/// console and from the signed link; every step lands in the ticket's history.
/// </summary>
public abstract class EscalationTests<TFixture>(TFixture fixture)
    where TFixture : NotificationsFixture
{
    private static Task<JsonNode> Ok(HttpResponseMessage r) => NotificationsFixture.Ok(r);

    private async Task SetUpAsync()
    {
        foreach (var (id, team, user) in new[] { ("l1", "L1", "lena"), ("l2", "L2", "leo"), ("dm", "duty-manager", "mia") })
        {
            await fixture.Staff(user);
            await Ok(await fixture.Admin.PutAsJsonAsync($"/api/oncall/schedules/{id}", new
            {
                team, timeZone = "Europe/London",
                layers = new[] { new { name = "weekly", users = new[] { user }, handoff = "weekly", handoffTime = "09:00", start = "2026-12-01" } },
            }));
        }

        await Ok(await fixture.Admin.PutAsJsonAsync("/api/escalation-policies/esc-critical", new
        {
            accountId = "esc", priority = "critical", triggers = new[] { "critical-ticket" },
            steps = new object[]
            {
                new { afterMinutes = 0, targets = new[] { new { kind = "on-call", team = "L1" } }, channels = new[] { "in-app" } },
                new { afterMinutes = 10, targets = new[] { new { kind = "on-call", team = "L2" } }, channels = new[] { "in-app" } },
                new { afterMinutes = 20, targets = new[] { new { kind = "duty-manager" } }, channels = new[] { "in-app" } },
            },
        }));
    }

    private Task<JsonNode> EscalationAsync(long ticket, Func<JsonNode, bool> done) =>
        NotificationsFixture.UntilAsync(fixture.Admin, $"/api/escalations?ticketId={ticket}", n => n.AsArray().Count == 1 && done(n[0]!)).ContinueWith(t => t.Result[0]!, TaskScheduler.Default);

    private static int Steps(JsonNode escalation) => escalation["steps"]!.AsArray().Count;

    private async Task<List<string>> NotesAsync(long ticket)
    {
        var history = await Ok(await fixture.Admin.GetAsync($"/api/tickets/{ticket}/history"));
        return [.. history.AsArray().Select(e => e!["event"] ?? e).Where(e => (string?)e!["kind"] == "comment" && ((string?)e["body"])!.StartsWith("Escalation", StringComparison.Ordinal)).Select(e => (string)e!["body"]!)];
    }

    [Fact]
    public async Task CriticalTicket_NoAcknowledgement_RunsEveryStepOnTime_ThenTheDutyManagerAcknowledges()
    {
        await SetUpAsync();
        var started = fixture.Clock.GetUtcNow();
        var ticket = await fixture.NewTicketAsync(fixture.Admin, "Datacentre power lost", "critical", "esc");
        var escalation = await EscalationAsync(ticket, e => Steps(e) == 1);
        Assert.Equal(("active", "critical-ticket", "lena"), ((string?)escalation["status"], (string?)escalation["trigger"], (string?)escalation["steps"]![0]!["notified"]![0]));

        await fixture.AdvanceAsync(TimeSpan.FromMinutes(9));
        Assert.Equal(1, Steps(await EscalationAsync(ticket, _ => true)));
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(1));
        escalation = await EscalationAsync(ticket, e => Steps(e) == 2);
        Assert.Equal(started.AddMinutes(10), escalation["steps"]![1]!["ranAt"]!.GetValue<DateTimeOffset>());
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(10));
        escalation = await EscalationAsync(ticket, e => Steps(e) == 3);
        Assert.Equal(("exhausted", "mia", started.AddMinutes(20)), ((string?)escalation["status"], (string?)escalation["steps"]![2]!["notified"]![0], escalation["steps"]![2]!["ranAt"]!.GetValue<DateTimeOffset>()));

        var leo = await fixture.Staff("leo");
        var inbox = await NotificationsFixture.UntilAsync(leo, "/api/notifications/mine", n => n.AsArray().Any(x => (long?)x!["ticketId"] == ticket));
        Assert.Equal("escalation", (string?)inbox.AsArray().First(x => (long?)x!["ticketId"] == ticket)!["eventType"]);

        var mia = await fixture.Staff("mia");
        Assert.Equal(204, (int)(await mia.PostAsync($"/api/escalations/{escalation["id"]}/acknowledge", null)).StatusCode);
        var notes = await NotesAsync(ticket);
        Assert.Equal(
            [
                "Escalation step 1 of 3 (critical-ticket): notified on call L1: lena.",
                "Escalation step 2 of 3 (critical-ticket): notified on call L2: leo.",
                "Escalation step 3 of 3 (critical-ticket): notified on call duty-manager: mia.",
                "Escalation acknowledged by mia (console); no further steps.",
            ],
            notes);
    }

    [Fact]
    public async Task AcknowledgedFromTheConsoleAtStepOne_NoFurtherStepRuns()
    {
        await SetUpAsync();
        var ticket = await fixture.NewTicketAsync(fixture.Admin, "Mail relay down", "critical", "esc");
        var escalation = await EscalationAsync(ticket, e => Steps(e) == 1);
        var lena = await fixture.Staff("lena");
        Assert.Equal(204, (int)(await lena.PostAsync($"/api/escalations/{escalation["id"]}/acknowledge", null)).StatusCode);
        Assert.Equal(404, (int)(await lena.PostAsync($"/api/escalations/{escalation["id"]}/acknowledge", null)).StatusCode);

        await fixture.AdvanceAsync(TimeSpan.FromMinutes(25));
        escalation = await EscalationAsync(ticket, e => (string?)e["status"] == "acknowledged");
        Assert.Equal((1, "lena", "console"), (Steps(escalation), (string?)escalation["acknowledgedBy"], (string?)escalation["acknowledgedVia"]));
        Assert.Equal(2, (await NotesAsync(ticket)).Count);
    }

    [Fact]
    public async Task AcknowledgedWithTheSignedLinkAtStepTwo_StopsThere_AndAForgedLinkIsRefused()
    {
        await SetUpAsync();
        var ticket = await fixture.NewTicketAsync(fixture.Admin, "SAN degraded", "critical", "esc");
        await EscalationAsync(ticket, e => Steps(e) == 1);
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(10));
        await EscalationAsync(ticket, e => Steps(e) == 2);
        var log = await NotificationsFixture.UntilAsync(fixture.Admin, "/api/notifications/deliveries?userId=leo", n => n.AsArray().Any(d => (long?)d!["ticketId"] == ticket));
        var link = (string)log.AsArray().First(d => (long?)d!["ticketId"] == ticket)!["link"]!;
        Assert.StartsWith(NotificationsFixture.PublicUrl + "/ack/", link, StringComparison.Ordinal);
        var path = link[NotificationsFixture.PublicUrl.Length..];

        using var anonymous = fixture.Factory.CreateClient();
        Assert.Equal(404, (int)(await anonymous.GetAsync(path + "x")).StatusCode);
        var page = await anonymous.GetStringAsync(path);
        Assert.Contains("<form method=\"post\">", page, StringComparison.Ordinal);
        Assert.Equal("active", (string?)(await EscalationAsync(ticket, _ => true))["status"]);
        Assert.Contains("Acknowledged: the escalation stops here.", await (await anonymous.PostAsync(path, null)).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await fixture.AdvanceAsync(TimeSpan.FromMinutes(15));
        var escalation = await EscalationAsync(ticket, e => (string?)e["status"] == "acknowledged");
        Assert.Equal((2, "leo", "link"), (Steps(escalation), (string?)escalation["acknowledgedBy"], (string?)escalation["acknowledgedVia"]));
        Assert.Equal("Escalation acknowledged by leo (link); no further steps.", (await NotesAsync(ticket))[^1]);
    }

    [Fact]
    public async Task SmsReplies_AcknowledgeByTheEngineersNumber_SeveralOpenNeedTheTicket_LateFailureFallsThrough()
    {
        const string phone = "+447700900777";
        var sven = await fixture.Staff("sven");
        await Ok(await sven.PutAsJsonAsync("/api/notifications/preferences", new { timeZone = "Europe/London", phone }));
        await Ok(await fixture.Admin.PutAsJsonAsync("/api/oncall/schedules/sms-team", new
        {
            team = "sms-team", timeZone = "Europe/London",
            layers = new[] { new { name = "weekly", users = new[] { "sven" }, handoff = "weekly", handoffTime = "09:00", start = "2026-12-01" } },
        }));
        await Ok(await fixture.Admin.PutAsJsonAsync("/api/accounts/esc-sms", new { name = "Esc SMS Ltd", timeZone = "Europe/London" }));
        await fixture.Factory.Users.ClientUserTokenAsync("esc-sms", "requester-esc-sms", "Requester");
        await Ok(await fixture.Admin.PutAsJsonAsync("/api/escalation-policies/esc-sms-critical", new
        {
            accountId = "esc-sms", priority = "critical", triggers = new[] { "critical-ticket" },
            steps = new object[] { new { afterMinutes = 0, targets = new[] { new { kind = "on-call", team = "sms-team" } }, channels = new[] { "sms", "email" } } },
        }));
        var first = await fixture.NewTicketAsync(fixture.Admin, "VPN down", "critical", "esc-sms");
        var second = await fixture.NewTicketAsync(fixture.Admin, "Firewall down", "critical", "esc-sms");
        NotificationMessage Sms(long ticket) => fixture.Sms.Sent.FirstOrDefault(m => m.Address == phone && m.Subject.Contains($"#{ticket} needs", StringComparison.Ordinal))!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Sms(first) is null || Sms(second) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the escalation SMS never went out");
            await Task.Delay(50);
        }

        Assert.EndsWith($"is not acknowledged. Reply ACK {first} to acknowledge.", Sms(first).Text, StringComparison.Ordinal);
        var feedback = fixture.Factory.Services.GetRequiredService<INotificationFeedback>();

        // Two open escalations: "ACK" alone is ambiguous, and the answer lists both ticket numbers.
        var reply = await feedback.HandleReplyAsync(phone, "ACK", default);
        Assert.False(reply.Acknowledged);
        Assert.Equal($"2 escalations are waiting for you: #{first}, #{second}. Reply ACK and the ticket number, e.g. ACK {first}.", reply.Text);
        Assert.False((await feedback.HandleReplyAsync("+447700900778", "ACK", default)).Acknowledged);

        reply = await feedback.HandleReplyAsync(phone, $"ack #{second}", default);
        Assert.Equal((true, $"Acknowledged: the escalation of ticket #{second} stops here."), (reply.Acknowledged, reply.Text));
        reply = await feedback.HandleReplyAsync(phone, "1", default);
        Assert.Equal((true, $"Acknowledged: the escalation of ticket #{first} stops here."), (reply.Acknowledged, reply.Text));
        Assert.Equal("No escalation is waiting for your acknowledgement: nothing was acknowledged.", (await feedback.HandleReplyAsync(phone, "ACK", default)).Text);
        var escalation = await EscalationAsync(first, e => (string?)e["status"] == "acknowledged");
        Assert.Equal(("sven", "sms"), ((string?)escalation["acknowledgedBy"], (string?)escalation["acknowledgedVia"]));

        // The carrier later reports the first SMS undelivered: it fails in the log and the next channel (email) goes out.
        Assert.False(await feedback.ReportStatusAsync("d-unknown", "delivered", null, default));
        Assert.True(await feedback.ReportStatusAsync(Sms(first).Id, "undelivered", "Twilio error 30003", default));
        var log = await NotificationsFixture.UntilAsync(fixture.Admin, "/api/notifications/deliveries?userId=sven", n => n.AsArray().Any(d => (long?)d!["ticketId"] == first && (string?)d["channel"] == "email" && (string?)d["status"] == "sent"));
        var sms = log.AsArray().First(d => (long?)d!["ticketId"] == first && (string?)d["channel"] == "sms")!;
        Assert.Equal(("failed", "undelivered"), ((string?)sms["status"], (string?)sms["providerStatus"]));
        Assert.Contains("Twilio error 30003", (string)sms["lastError"]!, StringComparison.Ordinal);
        Assert.DoesNotContain(log.AsArray(), d => (long?)d!["ticketId"] == second && (string?)d["channel"] == "email" && (string?)d["status"] != "not-needed");
    }

    [Fact]
    public async Task OnCallApi_AnswersNowAndAtT_WithOverrides_AndListsCoverageGaps()
    {
        var problem = await NotificationsFixture.Problem(await fixture.Admin.PutAsJsonAsync("/api/oncall/schedules/bad", new { team = "X", timeZone = "Nowhere/Land", layers = Array.Empty<object>() }), 400);
        Assert.Contains("'Nowhere/Land' is not a known IANA time zone", (string)problem["detail"]!, StringComparison.Ordinal);

        // Nights only (18:00–08:00 London) over weekday business hours 09:00–17:00: 08:00–09:00 and 17:00–18:00 are gaps, and whole weekends by day.
        await Ok(await fixture.Admin.PutAsJsonAsync("/api/oncall/schedules/sec", new
        {
            team = "security", timeZone = "Europe/London",
            layers = new[] { new { name = "nights", users = new[] { "sara", "tom" }, handoff = "daily", handoffTime = "18:00", start = "2026-12-14", activeFrom = "18:00", activeTo = "08:00" } },
            businessHours = new
            {
                timeZoneId = "Europe/London",
                openingHours = new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" }.Select(d => new { day = d, start = "09:00:00", end = "17:00:00" }),
                holidays = Array.Empty<object>(),
            },
        }));
        var at = "2026-12-16T20:00:00Z";
        var answer = (await Ok(await fixture.Admin.GetAsync($"/api/oncall/now?team=security&at={at}")))[0]!;
        Assert.Equal(("sara", "layer:nights", "2026-12-16T18:00:00+00:00"), ((string?)answer["userId"], (string?)answer["source"], answer["shiftStart"]!.GetValue<DateTimeOffset>().ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)));
        await Ok(await fixture.Admin.PostAsJsonAsync("/api/oncall/schedules/sec/overrides", new { userId = "uma", startsAt = "2026-12-16T19:00:00Z", endsAt = "2026-12-16T21:00:00Z", reason = "swap" }));
        answer = (await Ok(await fixture.Admin.GetAsync($"/api/oncall/now?team=security&at={at}")))[0]!;
        Assert.Equal(("uma", "override"), ((string?)answer["userId"], (string?)answer["source"]));
        await NotificationsFixture.Problem(await fixture.Admin.PostAsJsonAsync("/api/oncall/schedules/sec/overrides", new { userId = "uma", startsAt = "2026-12-16T21:00:00Z", endsAt = "2026-12-16T19:00:00Z" }), 400);

        var gaps = (await Ok(await fixture.Admin.GetAsync("/api/oncall/gaps?team=security&days=7"))).AsArray();
        var starts = gaps.Select(g => g!["from"]!.GetValue<DateTimeOffset>()).ToList();
        var day = new DateTimeOffset(2026, 12, 17, 0, 0, 0, TimeSpan.Zero);
        Assert.Contains(gaps, g => g!["from"]!.GetValue<DateTimeOffset>() == day.AddHours(8) && g["to"]!.GetValue<DateTimeOffset>() == day.AddHours(9));
        Assert.Contains(gaps, g => g!["from"]!.GetValue<DateTimeOffset>() == day.AddHours(17) && g["to"]!.GetValue<DateTimeOffset>() == day.AddHours(18));
        Assert.Contains(gaps, g => g!["from"]!.GetValue<DateTimeOffset>() == day.AddDays(2).AddHours(8) && g["to"]!.GetValue<DateTimeOffset>() == day.AddDays(2).AddHours(18));
        Assert.DoesNotContain(starts, s => s.Hour is > 8 and < 17 && s.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday));
    }
}

[Collection(nameof(SqliteNotifications))]
public sealed class SqliteEscalationTests(SqliteNotifications fixture) : EscalationTests<SqliteNotifications>(fixture);

[Collection(nameof(PostgreSqlNotifications))]
public sealed class PostgreSqlEscalationTests(PostgreSqlNotifications fixture) : EscalationTests<PostgreSqlNotifications>(fixture);
