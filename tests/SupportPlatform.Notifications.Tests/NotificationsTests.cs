using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Notifications.Contracts;

namespace SupportPlatform.Notifications.Tests;

/// <summary>The notification service end to end: producers, preferences, channels, dedup, retries, fall-through, the log.</summary>
public abstract class NotificationsTests<TFixture>(TFixture fixture)
    where TFixture : NotificationsFixture
{
    protected TFixture Fixture => fixture;

    private static Task<JsonNode> Ok(HttpResponseMessage r) => NotificationsFixture.Ok(r);

    private Task<JsonNode> Log(string query, Func<JsonArray, bool> done) =>
        NotificationsFixture.UntilAsync(fixture.Admin, "/api/notifications/deliveries?" + query, n => done(n.AsArray()));

    private static JsonNode? Row(JsonNode log, string user, string channel) =>
        log.AsArray().FirstOrDefault(d => (string?)d!["userId"] == user && (string?)d["channel"] == channel);

    [Fact]
    public async Task NewTicket_Subscriber_GetsInAppAndMailOverRealSmtp_AndADuplicateEventNotifiesOnce()
    {
        var alice = await fixture.Staff("alice");
        await Ok(await alice.PutAsJsonAsync("/api/notifications/preferences", new { channels = new Dictionary<string, string[]> { ["new-ticket"] = ["in-app", "email"] } }));

        var id = await fixture.NewTicketAsync(alice, "Printer on fire");
        var mail = await fixture.Smtp.WaitForAsync(m => m.Subject?.Contains($"#{id}", StringComparison.Ordinal) == true && m.To.Mailboxes.Any(a => a.Address.StartsWith("alice@", StringComparison.Ordinal)));
        Assert.Equal("alice@staff.tests.example", mail.To.Mailboxes.Single().Address);
        Assert.Equal($"New normal ticket #{id}: Printer on fire", mail.Subject);
        Assert.Contains($"{NotificationsFixture.PublicUrl}/console/tickets/{id}", mail.TextBody, StringComparison.Ordinal);
        var mine = await NotificationsFixture.UntilAsync(alice, "/api/notifications/mine", n => n.AsArray().Any(x => (long?)x!["ticketId"] == id));
        Assert.Equal("new-ticket", (string?)mine.AsArray().First(x => (long?)x!["ticketId"] == id)!["eventType"]);

        // The same event twice (a producer retrying after a crash): stored and delivered once.
        var notifier = fixture.Factory.Services.GetRequiredService<INotifier>();
        var key = "tests/dedup/" + Guid.NewGuid().ToString("N");
        var notification = new StaffNotification(key, NotificationEventType.PluginFailed, "Plugin imap failed " + key[^6..], "It stopped.") { Recipients = ["alice"] };
        var first = await notifier.NotifyAsync(notification);
        var second = await notifier.NotifyAsync(notification);
        Assert.Equal((false, true, first.NotificationId, 0), (first.Duplicate, second.Duplicate, second.NotificationId, second.Deliveries));
        await fixture.Smtp.WaitForAsync(m => m.Subject == notification.Subject);
        var log = await Log("eventKey=" + Uri.EscapeDataString(key), l => l.All(d => (string?)d!["status"] == "sent"));
        Assert.Equal(["email:sent", "in-app:sent"], log.AsArray().Select(d => $"{d!["channel"]}:{d["status"]}").Order());
        Assert.Single(fixture.Smtp.Received, m => m.Subject == notification.Subject);
    }

    [Fact]
    public async Task PluginRefusedAtStart_TheAdministratorsAreToldOnce_WithTheReason()
    {
        // bin/.../plugins/broken-manifest holds a manifest cut short (see the project file): the host refuses it.
        static bool Broken(JsonNode? x) => (string?)x!["eventType"] == "plugin-failed" && ((string?)x["subject"])!.Contains("broken-manifest", StringComparison.Ordinal);
        var log = await Log("limit=500", l => l.Any(d => Broken(d) && (string?)d!["status"] == "sent"));
        var told = log.AsArray().Where(Broken).ToList();
        Assert.Equal("Plugin broken-manifest invalid", (string?)told[0]!["subject"]);
        Assert.Contains("its folder or manifest is wrong", (string?)told[0]!["text"], StringComparison.Ordinal);
        Assert.Contains("plugin.json", (string?)told[0]!["text"], StringComparison.Ordinal);

        // Later rounds of the producer see the same problem again: one notification, one delivery per admin and channel.
        await Task.Delay(Producers.PluginProblemNotifications.Interval * 2);
        var again = JsonNode.Parse(await fixture.Admin.GetStringAsync("/api/notifications/deliveries?limit=500"))!.AsArray().Where(Broken).ToList();
        Assert.Single(again.Select(d => (string?)d!["notificationId"]).Distinct());
        Assert.Equal(again.Count, again.Select(d => $"{d!["userId"]}/{d["channel"]}").Distinct().Count());
    }

    [Fact]
    public async Task MentionAndAssignment_ToChatPlugin_PostTeamsCardAndSlackText()
    {
        var alice = await fixture.Staff("alice");
        var bob = await fixture.Staff("bob");
        var carol = await fixture.Staff("carol");
        await Ok(await bob.PutAsJsonAsync("/api/notifications/preferences", new { chatTarget = "teams", channels = new Dictionary<string, string[]> { ["mention"] = ["chat"] } }));
        await Ok(await carol.PutAsJsonAsync("/api/notifications/preferences", new { channels = new Dictionary<string, string[]> { ["assignment"] = ["chat"] } }));
        var id = await fixture.NewTicketAsync(alice, "VPN flaps");

        await Ok(await alice.PostAsJsonAsync($"/api/tickets/{id}/comments", new { body = "@bob can you look at the tunnel? (mail me at x@bob.example)", visibility = "internal" }));
        var card = await fixture.Chat.WaitForAsync("teams", b => ((string?)b["title"])?.Contains($"#{id}", StringComparison.Ordinal) == true);
        Assert.Equal("MessageCard", (string?)card["@type"]);
        Assert.Equal($"Alice Agent mentioned you on #{id}: VPN flaps", (string?)card["title"]);
        Assert.StartsWith("@bob can you look", (string?)card["text"], StringComparison.Ordinal);
        Assert.Equal($"{NotificationsFixture.PublicUrl}/console/tickets/{id}", (string?)card["potentialAction"]![0]!["targets"]![0]!["uri"]);

        await Ok(await alice.PostAsJsonAsync($"/api/tickets/{id}/assignment", new { agentId = "carol" }));
        var slack = await fixture.Chat.WaitForAsync("slack", b => ((string?)b["text"])?.Contains($"#{id} assigned to you", StringComparison.Ordinal) == true);
        Assert.Equal(["text"], slack.AsObject().Select(p => p.Key));
        Assert.StartsWith($"*Ticket #{id} assigned to you: VPN flaps*\n", (string?)slack["text"], StringComparison.Ordinal);
        Assert.EndsWith($"<{NotificationsFixture.PublicUrl}/console/tickets/{id}|Open>", (string?)slack["text"], StringComparison.Ordinal);

        // The client answers in the portal: the assigned agent hears of it (client-reply), the author of nothing.
        var client = await fixture.Factory.CreateClientUserClientAsync("acme", "cliff", "Cliff Client");
        await Ok(await client.PostAsJsonAsync($"/api/tickets/{id}/comments", new { body = "The tunnel dropped again at 10:05." }));
        var mine = await NotificationsFixture.UntilAsync(carol, "/api/notifications/mine", n => n.AsArray().Any(x => (string?)x!["eventType"] == "client-reply" && (long?)x["ticketId"] == id));
        var reply = mine.AsArray().First(x => (string?)x!["eventType"] == "client-reply" && (long?)x["ticketId"] == id)!;
        Assert.Equal(($"[#{id}] Cliff Client replied: VPN flaps", "The tunnel dropped again at 10:05."), ((string?)reply["subject"], (string?)reply["text"]));
    }

    [Fact]
    public async Task FailedSms_IsRetriedWithBackoff_ThenFallsThroughToMail_AndTheLogShowsWhy()
    {
        var alice = await fixture.Staff("alice");
        var dave = await fixture.Staff("dave");
        await Ok(await dave.PutAsJsonAsync("/api/notifications/preferences", new { phone = "+447700900000", channels = new Dictionary<string, string[]> { ["assignment"] = ["sms", "email"] } }));
        var id = await fixture.NewTicketAsync(alice, "Disk full");
        await Ok(await alice.PostAsJsonAsync($"/api/tickets/{id}/assignment", new { agentId = "dave" }));

        var log = await Log("userId=dave", l => l.Any(d => (long?)d!["ticketId"] == id && (string?)d["channel"] == "sms" && (int?)d["attempts"] == 1));
        var sms = log.AsArray().First(d => (long?)d!["ticketId"] == id && (string?)d["channel"] == "sms")!;
        Assert.Equal(("pending", "21610: the number is unreachable"), ((string?)sms["status"], (string?)sms["lastError"]));
        Assert.Equal(fixture.Clock.GetUtcNow().AddSeconds(10), sms["nextAttemptAt"]!.GetValue<DateTimeOffset>(), TimeSpan.FromSeconds(2));
        Assert.Equal("standby", (string?)Row(new JsonArray([.. log.AsArray().Where(d => (long?)d!["ticketId"] == id).Select(d => d!.DeepClone())]), "dave", "email")!["status"]);

        fixture.Clock.Advance(TimeSpan.FromSeconds(11));
        log = await Log("userId=dave", l => l.Any(d => (long?)d!["ticketId"] == id && (string?)d["channel"] == "email" && (string?)d["status"] == "sent"));
        var rows = log.AsArray().Where(d => (long?)d!["ticketId"] == id).ToList();
        Assert.Equal((2, "failed"), ((int?)rows.Single(d => (string?)d!["channel"] == "sms")!["attempts"], (string?)rows.Single(d => (string?)d!["channel"] == "sms")!["status"]));
        await fixture.Smtp.WaitForAsync(m => m.Subject == $"Ticket #{id} assigned to you: Disk full" && m.To.Mailboxes.Single().Address == "dave@staff.tests.example");
        Assert.Equal(2, fixture.Sms.Refused.Count(m => m.RecipientId == "dave" && m.Subject.Contains($"#{id}", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task QuietHours_HoldBackMailButNotInApp_UnlessUrgent()
    {
        var erin = await fixture.Staff("erin");
        await Ok(await erin.PutAsJsonAsync("/api/notifications/preferences", new
        {
            timeZone = "Etc/UTC", quietStart = "00:00", quietEnd = "23:59", channels = new Dictionary<string, string[]> { ["new-ticket"] = ["email"] },
        }));
        var quiet = await fixture.NewTicketAsync(erin, "Slow wifi");
        var log = await Log("userId=erin", l => l.Any(d => (long?)d!["ticketId"] == quiet && (string?)d["channel"] == "in-app" && (string?)d["status"] == "sent"));
        var mail = log.AsArray().Single(d => (long?)d!["ticketId"] == quiet && (string?)d["channel"] == "email")!;
        Assert.Equal(("suppressed", "quiet hours 00:00–23:59 Etc/UTC"), ((string?)mail["status"], (string?)mail["lastError"]));

        var urgent = await fixture.NewTicketAsync(erin, "Core switch down", "critical");
        await fixture.Smtp.WaitForAsync(m => m.Subject == $"New critical ticket #{urgent}: Core switch down" && m.To.Mailboxes.Single().Address == "erin@staff.tests.example");
    }

    [Fact]
    public async Task Preferences_BadInput_Answers400NamingEachProblem()
    {
        var frank = await fixture.Staff("frank");
        var problem = await NotificationsFixture.Problem(await frank.PutAsJsonAsync("/api/notifications/preferences", new
        {
            timeZone = "Moon/Base", quietStart = "25:00", channels = new Dictionary<string, string[]> { ["new-ticket"] = ["pigeon"], ["sla-breach"] = ["sms"], ["lunch"] = ["email"] },
        }), 400);
        var detail = (string)problem["detail"]!;
        foreach (var expected in new[] { "'Moon/Base' is not a known IANA time zone", "quietStart: '25:00'", "'pigeon' is not a channel", "sms and voice need a phone number", "'lunch' is not an event type" })
        {
            Assert.Contains(expected, detail, StringComparison.Ordinal);
        }
    }
}

[Collection(nameof(SqliteNotifications))]
public sealed class SqliteNotificationsTests(SqliteNotifications fixture) : NotificationsTests<SqliteNotifications>(fixture);

[Collection(nameof(PostgreSqlNotifications))]
public sealed class PostgreSqlNotificationsTests(PostgreSqlNotifications fixture) : NotificationsTests<PostgreSqlNotifications>(fixture);
