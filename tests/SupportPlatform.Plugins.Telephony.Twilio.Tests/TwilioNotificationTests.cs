using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Telephony.Twilio.Tests;

/// <summary>
/// The Twilio plugin as the SMS and voice notification channels, loaded by the real host from its plugin folder and
/// sending to <see cref="FakeTwilio"/> (the REST API on loopback, <c>Plugins:twilio:apiBaseUrl</c>), on the embedded
/// database and a fake clock (Tuesday 15 December 2026, 10:00 UTC). The tests play Twilio's side of the callbacks:
/// status callbacks, the inbound SMS webhook and the Gather action, each signed like Twilio signs them.
/// Also the after-hours routing of critical contracts to the on-call engineer of the <c>L1</c> schedule.
/// </summary>
public sealed class TwilioNotifyHost : IAsyncLifetime
{
    public const string OlgaPhone = "+447700900111";
    public const string OmarAgentNumber = "+447700900222";
    public const string FallbackOnCall = "+447700900999";

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 15, 10, 0, 0, TimeSpan.Zero));

    public FakeTwilio Twilio { get; } = new(TwilioHost.AuthToken);

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Olga { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Twilio.StartAsync();
        Factory = new PlatformFactory(clock: Clock, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Plugins:Path"] = Path.Combine(AppContext.BaseDirectory, "plugins"),
            ["SupportPlatform:PublicUrl"] = TwilioHost.PublicUrl,
            ["SupportPlatform:Notifications:RetryDelay"] = "00:00:05",
            ["SupportPlatform:Notifications:PollInterval"] = "00:00:00.200",
            ["SupportPlatform:Phone:OnCallNumber"] = FallbackOnCall,
            ["Plugins:twilio:authToken"] = TwilioHost.AuthToken,
            ["Plugins:twilio:accountSid"] = FakeTwilio.AccountSid,
            ["Plugins:twilio:fromNumber"] = FakeTwilio.FromNumber,
            ["Plugins:twilio:apiBaseUrl"] = Twilio.Url.ToString(),
        });
        Admin = await Factory.CreateStaffClientAsync("admin", "root", "Root Admin");
        Olga = await Factory.CreateStaffClientAsync("senior", "olga", "Olga Oncall");
        await Factory.CreateStaffClientAsync("senior", "omar", "Omar Oncall");
        Anonymous = Factory.CreateClient();
        await TwilioHost.Ok(await Olga.PutAsJsonAsync("/api/notifications/preferences", new { timeZone = "Europe/London", phone = OlgaPhone }));
        await TwilioHost.Ok(await Admin.PutAsJsonAsync("/api/phone/agents/omar", new { number = OmarAgentNumber, onDuty = false }));
        await TwilioHost.Ok(await Admin.PutAsJsonAsync("/api/oncall/schedules/pager", new
        {
            team = "pager", timeZone = "Europe/London",
            layers = new[] { new { name = "weekly", users = new[] { "olga" }, handoff = "weekly", handoffTime = "09:00", start = "2026-12-01" } },
        }));
        foreach (var (id, zone, caller) in new[] { ("sms-acct", "Europe/London", "+441632960101"), ("voice-acct", "Europe/London", "+441632960102"), ("night-acct", "Asia/Tokyo", "+81312340001"), ("lost-acct", "Europe/London", "+441632960103") })
        {
            await TwilioHost.Ok(await Admin.PutAsJsonAsync($"/api/accounts/{id}", new { name = id + " Ltd", timeZone = zone }));
            var account = JsonNode.Parse(await Admin.GetStringAsync($"/api/accounts/{id}"))!;
            account["contract"]!["phone"]!["callers"] = new JsonArray(new JsonObject { ["number"] = caller, ["contactId"] = id + "-contact" });
            account["contract"]!["phone"]!["afterHoursOnCall"] = id == "night-acct";
            await TwilioHost.Ok(await Admin.PutAsJsonAsync($"/api/accounts/{id}", new { name = id + " Ltd", timeZone = zone, contract = account["contract"] }));
            await Factory.Users.ClientUserTokenAsync(id, "requester-" + id, "Requester");
        }
    }

    public async Task DisposeAsync()
    {
        Factory.Dispose();
        await Twilio.DisposeAsync();
    }
}

public sealed class TwilioNotificationTests(TwilioNotifyHost host) : IClassFixture<TwilioNotifyHost>
{
    private static string Sign(string url, IEnumerable<KeyValuePair<string, string>> form, string token = TwilioHost.AuthToken)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>Posts like Twilio to an absolute public URL of the plugin (a callback URL the plugin handed Twilio).</summary>
    private async Task<HttpResponseMessage> TwilioPostsAsync(string publicUrl, Dictionary<string, string> form, string? signature = null)
    {
        Assert.StartsWith(TwilioHost.PublicUrl, publicUrl, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + publicUrl[TwilioHost.PublicUrl.Length..]) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? Sign(publicUrl, form));
        return await host.Anonymous.SendAsync(request);
    }

    private Task<HttpResponseMessage> SmsReplyAsync(string from, string body, string? signature = null) =>
        TwilioPostsAsync(TwilioHost.PublicUrl + "hooks/twilio/sms", new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"), ["AccountSid"] = FakeTwilio.AccountSid, ["From"] = from, ["To"] = FakeTwilio.FromNumber, ["Body"] = body, ["NumMedia"] = "0",
        }, signature);

    private static async Task<string> ReplyTextAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return XDocument.Parse(body).Root!.Element("Message")!.Value;
    }

    private async Task SetPolicyAsync(string account, params string[] channels) =>
        await TwilioHost.Ok(await host.Admin.PutAsJsonAsync($"/api/escalation-policies/{account}-critical", new
        {
            accountId = account, priority = "critical", triggers = new[] { "critical-ticket" },
            steps = new object[] { new { afterMinutes = 0, targets = new[] { new { kind = "on-call", team = "pager" } }, channels } },
        }));

    private async Task<long> CriticalTicketAsync(string account, string subject)
    {
        var ticket = await TwilioHost.Ok(await host.Admin.PostAsJsonAsync("/api/tickets", new { accountId = account, requesterId = "requester-" + account, subject, priority = "critical", description = "Down." }));
        return ticket["id"]!.GetValue<long>();
    }

    private static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(50);
        }
    }

    private Task<FakeTwilio.Created> TwilioReceivedAsync(string resource, string to, int nth = 1) =>
        UntilAsync(() => Task.FromResult(host.Twilio.Requests.Where(r => r.Resource == resource && r.Form.GetValueOrDefault("To") == to).Skip(nth - 1).FirstOrDefault()), $"Twilio receives {resource} #{nth} to {to}");

    private Task<JsonNode> DeliveryAsync(long ticket, string channel, Func<JsonNode, bool> done) =>
        UntilAsync(async () => JsonNode.Parse(await host.Admin.GetStringAsync("/api/notifications/deliveries?userId=olga"))!.AsArray()
            .FirstOrDefault(d => (long?)d!["ticketId"] == ticket && (string?)d["channel"] == channel && done(d)), $"the {channel} delivery for ticket {ticket} reaches the expected state");

    private async Task<JsonNode> EscalationAsync(long ticket) => JsonNode.Parse(await host.Admin.GetStringAsync($"/api/escalations?ticketId={ticket}"))![0]!;

    [Fact]
    public async Task EscalationBySms_StatusCallbackLogged_ForgedReply403_UnclearReplyAnswered_AckReplyStopsIt()
    {
        await SetPolicyAsync("sms-acct", "sms", "voice");
        var ticket = await CriticalTicketAsync("sms-acct", "Core switch down");

        var sms = await TwilioReceivedAsync("Messages", TwilioNotifyHost.OlgaPhone);
        Assert.Equal(FakeTwilio.FromNumber, sms.Form["From"]);
        Assert.Contains($"ticket #{ticket} needs you", sms.Form["Body"], StringComparison.Ordinal);
        Assert.Contains($"Reply ACK {ticket} to acknowledge.", sms.Form["Body"], StringComparison.Ordinal);
        var sent = await DeliveryAsync(ticket, "sms", d => (string?)d["status"] == "sent");
        Assert.Equal(sms.Sid, (string?)sent["providerId"]);
        Assert.Equal($"{TwilioHost.PublicUrl}hooks/twilio/notify/status?delivery={sent["id"]}", sms.Form["StatusCallback"]);

        // Twilio reports the message delivered: the delivery log shows it.
        var status = new Dictionary<string, string> { ["MessageSid"] = sms.Sid!, ["MessageStatus"] = "delivered", ["AccountSid"] = FakeTwilio.AccountSid, ["To"] = TwilioNotifyHost.OlgaPhone };
        Assert.Equal(HttpStatusCode.NoContent, (await TwilioPostsAsync(sms.Form["StatusCallback"], status)).StatusCode);
        Assert.Equal("delivered", (string?)(await DeliveryAsync(ticket, "sms", d => (string?)d["providerStatus"] == "delivered"))["providerStatus"]);

        // A forged reply (signed with another key) is refused and acknowledges nothing.
        var forged = new Dictionary<string, string> { ["MessageSid"] = "SMforged", ["From"] = TwilioNotifyHost.OlgaPhone, ["To"] = FakeTwilio.FromNumber, ["Body"] = "ACK" };
        Assert.Equal(HttpStatusCode.Forbidden, (await TwilioPostsAsync(TwilioHost.PublicUrl + "hooks/twilio/sms", forged, Sign(TwilioHost.PublicUrl + "hooks/twilio/sms", forged, "not-the-token"))).StatusCode);
        Assert.Equal("exhausted", (string?)(await EscalationAsync(ticket))["status"]);

        // Unclear replies, a wrong ticket number and an unknown sender get an answer saying so, and change nothing.
        Assert.StartsWith("Not understood: \"on my way?\"", await ReplyTextAsync(await SmsReplyAsync(TwilioNotifyHost.OlgaPhone, "on my way?")), StringComparison.Ordinal);
        Assert.StartsWith($"Ticket #{ticket + 1000} has no open escalation for you", await ReplyTextAsync(await SmsReplyAsync(TwilioNotifyHost.OlgaPhone, $"ACK {ticket + 1000}")), StringComparison.Ordinal);
        Assert.Contains("is not the notification number of any staff user", await ReplyTextAsync(await SmsReplyAsync("+447700900555", "ACK")), StringComparison.Ordinal);
        Assert.Equal("exhausted", (string?)(await EscalationAsync(ticket))["status"]);

        Assert.Equal($"Acknowledged: the escalation of ticket #{ticket} stops here.", await ReplyTextAsync(await SmsReplyAsync(TwilioNotifyHost.OlgaPhone, " ack ")));
        var escalation = await EscalationAsync(ticket);
        Assert.Equal(("acknowledged", "olga", "sms"), ((string?)escalation["status"], (string?)escalation["acknowledgedBy"], (string?)escalation["acknowledgedVia"]));
        Assert.StartsWith($"Ticket #{ticket} was already acknowledged by olga", await ReplyTextAsync(await SmsReplyAsync(TwilioNotifyHost.OlgaPhone, $"ACK {ticket}")), StringComparison.Ordinal);
        var history = JsonNode.Parse(await host.Admin.GetStringAsync($"/api/tickets/{ticket}/history"))!.AsArray();
        Assert.Contains(history, e => ((string?)(e!["event"] ?? e)!["body"]) == "Escalation acknowledged by olga (sms); no further steps.");
        Assert.Single(host.Twilio.Requests, r => r.Form.GetValueOrDefault("Body")?.Contains($"#{ticket} ", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task SmsAnswerLost_TheRetryFindsTheMessageTwilioCreated_AndSendsNothingTwice()
    {
        await SetPolicyAsync("lost-acct", "sms", "voice");
        host.Twilio.LoseAnswerOnceFor = "(critical-ticket) is not acknowledged";
        var ticket = await CriticalTicketAsync("lost-acct", "Mail relay queue stuck");

        // Twilio took the message but the answer was a 500: the delivery waits for its retry.
        await DeliveryAsync(ticket, "sms", d => ((string?)d["lastError"])?.Contains("error 20500") == true);
        var reads = host.Twilio.ListReads;
        host.Clock.Advance(TimeSpan.FromSeconds(5));

        // The retry looks in Twilio's message list first, finds the message, and reports it sent without a second text.
        var sent = await DeliveryAsync(ticket, "sms", d => (string?)d["status"] == "sent");
        var created = host.Twilio.Requests.Where(r => r.Resource == "Messages" && r.Form.GetValueOrDefault("Body")?.Contains($"#{ticket} ", StringComparison.Ordinal) == true).ToList();
        var only = Assert.Single(created);
        Assert.NotNull(only.Sid);
        Assert.Equal(only.Sid, (string?)sent["providerId"]);
        Assert.Equal(2, (int)sent["attempts"]!);
        Assert.True(host.Twilio.ListReads > reads, "the retry did not read Twilio's message list");
    }

    [Fact]
    public async Task TwilioRefusesThenAccepts_SmsUndelivered_FallsThroughToACall_Pressing1Acknowledges()
    {
        await SetPolicyAsync("voice-acct", "sms", "voice");
        host.Twilio.FailNext.Enqueue((429, 20429, "Too Many Requests"));
        host.Twilio.FailNext.Enqueue((503, 20500, "Service Unavailable"));
        var ticket = await CriticalTicketAsync("voice-acct", "Storage array offline");

        // Attempt 1 is rate limited: the delivery log says so and the retry waits for the back-off (5 s, then 10 s).
        var pending = await DeliveryAsync(ticket, "sms", d => ((string?)d["lastError"])?.Contains("429") == true);
        Assert.Equal(("pending", 1), ((string?)pending["status"], (int)pending["attempts"]!));
        Assert.Contains("Too Many Requests", (string)pending["lastError"]!, StringComparison.Ordinal);
        host.Clock.Advance(TimeSpan.FromSeconds(5));
        await DeliveryAsync(ticket, "sms", d => ((string?)d["lastError"])?.Contains("error 20500") == true);
        host.Clock.Advance(TimeSpan.FromSeconds(10));
        var sent = await DeliveryAsync(ticket, "sms", d => (string?)d["status"] == "sent");
        Assert.Equal(3, (int)sent["attempts"]!);
        var forTicket = host.Twilio.Requests.Where(r => r.Resource == "Messages" && r.Form.GetValueOrDefault("Body")?.Contains($"#{ticket} ", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(3, forTicket.Count);
        Assert.Equal([null, null], forTicket.Take(2).Select(r => r.Sid));
        var sms = forTicket[2];
        Assert.Equal((string?)sent["providerId"], sms.Sid);

        // The carrier cannot deliver it: the SMS delivery fails late, and the next channel (voice) is put in line.
        var undelivered = new Dictionary<string, string> { ["MessageSid"] = sms.Sid!, ["MessageStatus"] = "undelivered", ["ErrorCode"] = "30003", ["AccountSid"] = FakeTwilio.AccountSid };
        Assert.Equal(HttpStatusCode.NoContent, (await TwilioPostsAsync(sms.Form["StatusCallback"], undelivered)).StatusCode);
        var failed = await DeliveryAsync(ticket, "sms", d => (string?)d["status"] == "failed");
        Assert.Equal("undelivered", (string?)failed["providerStatus"]);
        Assert.Contains("Twilio error 30003", (string)failed["lastError"]!, StringComparison.Ordinal);

        var call = await TwilioReceivedAsync("Calls", TwilioNotifyHost.OlgaPhone);
        var placed = await DeliveryAsync(ticket, "voice", d => (string?)d["status"] == "sent");
        Assert.Equal(call.Sid, (string?)placed["providerId"]);
        var twiml = XDocument.Parse(call.Form["Twiml"]);
        var gather = twiml.Root!.Element("Gather")!;
        Assert.Equal("1", (string?)gather.Attribute("numDigits"));
        Assert.Contains($"ticket #{ticket} needs you", gather.Element("Say")!.Value, StringComparison.Ordinal);
        Assert.EndsWith("is not acknowledged. Press 1 to acknowledge.", gather.Element("Say")!.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("link", twiml.ToString(), StringComparison.OrdinalIgnoreCase); // a call cannot follow a link or reply ACK
        var action = (string)gather.Attribute("action")!;
        Assert.Equal($"{TwilioHost.PublicUrl}hooks/twilio/notify/gather?delivery={placed["id"]}", action);

        // Olga answers and presses 2, then 1: the escalation is acknowledged by voice.
        var callForm = new Dictionary<string, string> { ["CallSid"] = call.Sid!, ["AccountSid"] = FakeTwilio.AccountSid, ["From"] = FakeTwilio.FromNumber, ["To"] = TwilioNotifyHost.OlgaPhone, ["CallStatus"] = "in-progress" };
        var again = XDocument.Parse(await (await TwilioPostsAsync(action, new Dictionary<string, string>(callForm) { ["Digits"] = "2" })).Content.ReadAsStringAsync());
        Assert.Equal("You pressed 2. Press 1 to acknowledge.", again.Root!.Element("Gather")!.Element("Say")!.Value);
        Assert.Equal("exhausted", (string?)(await EscalationAsync(ticket))["status"]);
        var done = XDocument.Parse(await (await TwilioPostsAsync(action, new Dictionary<string, string>(callForm) { ["Digits"] = "1" })).Content.ReadAsStringAsync());
        Assert.Equal($"Acknowledged: the escalation of ticket #{ticket} stops here.", done.Root!.Element("Say")!.Value);
        Assert.NotNull(done.Root!.Element("Hangup"));
        var escalation = await EscalationAsync(ticket);
        Assert.Equal(("acknowledged", "olga", "voice"), ((string?)escalation["status"], (string?)escalation["acknowledgedBy"], (string?)escalation["acknowledgedVia"]));

        Assert.Equal(HttpStatusCode.NoContent, (await TwilioPostsAsync(call.Form["StatusCallback"], new Dictionary<string, string>(callForm) { ["CallStatus"] = "completed", ["CallDuration"] = "41" })).StatusCode);
        Assert.Equal("sent", (string?)(await DeliveryAsync(ticket, "voice", d => (string?)d["providerStatus"] == "completed"))["status"]);
    }

    [Fact]
    public async Task AfterHoursCriticalContract_RingsTheOnCallEngineerOfTheSchedule_FallbackNumberOnlyWithoutSchedule()
    {
        // 10:00 UTC is 19:00 in Tokyo: after hours for night-acct, whose contract routes after-hours calls to on call.
        async Task<XElement?> DialAsync(string sid)
        {
            var form = new Dictionary<string, string>
            {
                ["CallSid"] = sid, ["AccountSid"] = FakeTwilio.AccountSid, ["From"] = "+81312340001", ["To"] = "+442079460100", ["Direction"] = "inbound", ["CallStatus"] = "ringing",
            };
            var response = await TwilioPostsAsync(TwilioHost.PublicUrl + "hooks/twilio/voice", form);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Dial");
        }

        // No L1 schedule yet: the static SupportPlatform:Phone:OnCallNumber.
        Assert.Equal(TwilioNotifyHost.FallbackOnCall, (await DialAsync("CAoc1"))!.Element("Number")!.Value.Trim());

        // An L1 schedule with Omar: his phone agent number.
        await TwilioHost.Ok(await host.Admin.PutAsJsonAsync("/api/oncall/schedules/l1", new
        {
            team = "L1", timeZone = "Europe/London",
            layers = new[] { new { name = "weekly", users = new[] { "omar" }, handoff = "weekly", handoffTime = "09:00", start = "2026-12-01" } },
        }));
        Assert.Equal(TwilioNotifyHost.OmarAgentNumber, (await DialAsync("CAoc2"))!.Element("Number")!.Value.Trim());

        // Olga takes over for an hour: she is not a phone agent, so the number in her notification preferences.
        var now = host.Clock.GetUtcNow();
        await TwilioHost.Ok(await host.Admin.PostAsJsonAsync("/api/oncall/schedules/l1/overrides", new { userId = "olga", startsAt = now.AddMinutes(-1), endsAt = now.AddHours(1), reason = "swap" }));
        Assert.Equal(TwilioNotifyHost.OlgaPhone, (await DialAsync("CAoc3"))!.Element("Number")!.Value.Trim());
        var logged = JsonNode.Parse(await host.Admin.GetStringAsync("/api/phone/calls/twilio:CAoc3"))!;
        Assert.Equal("night-acct", (string?)logged["accountId"]);

        // Unanswered: voicemail, not the fallback number.
        var form = new Dictionary<string, string> { ["CallSid"] = "CAoc3", ["AccountSid"] = FakeTwilio.AccountSid, ["From"] = "+81312340001", ["To"] = "+442079460100", ["DialCallStatus"] = "no-answer" };
        var next = XDocument.Parse(await (await TwilioPostsAsync(TwilioHost.PublicUrl + "hooks/twilio/dial-action?attempt=0", form)).Content.ReadAsStringAsync());
        Assert.Null(next.Root!.Element("Dial"));
        Assert.NotNull(next.Root!.Element("Record"));
        await TwilioHost.Ok(await host.Admin.DeleteAsync("/api/oncall/schedules/l1"));
    }
}
