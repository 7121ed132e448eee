using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Telephony.Asterisk.Tests;

/// <summary>
/// The Asterisk plugin loaded by the real host from a plugin folder, connected to <see cref="FakeAri"/>, on the
/// embedded database and a fake clock shared by the host and the fake Asterisk (Tuesday 15 December 2026, 10:00 UTC:
/// business hours in London, evening in Tokyo).
/// </summary>
public sealed class AsteriskHost : IAsyncLifetime
{
    public const string PublicUrl = "https://support.msp.example/desk/";
    public const string AliceNumber = "+447700900001";
    public const string AliceEndpoint = "PJSIP/+447700900001@staff";
    public const string SupportNumber = "+442079460100";

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 15, 10, 0, 0, TimeSpan.Zero));

    public FakeAri Ari { get; private set; } = null!;

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Ari = new FakeAri(Clock, "sp", "ari-secret");
        await Ari.StartAsync();
        Factory = new PlatformFactory(clock: Clock, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Plugins:Path"] = Path.Combine(AppContext.BaseDirectory, "plugins"),
            ["SupportPlatform:PublicUrl"] = PublicUrl,
            ["Plugins:asterisk:url"] = Ari.Url.ToString(),
            ["Plugins:asterisk:username"] = "sp",
            ["Plugins:asterisk:password"] = "ari-secret",
            ["Plugins:asterisk:endpoint"] = "PJSIP/{number}@staff",
            ["Plugins:asterisk:maxReconnectDelaySeconds"] = "1",
        });
        Staff = await Factory.CreateStaffClientAsync("senior", "alice", "Alice Agent");
        Anonymous = Factory.CreateClient();
        await Ok(await Staff.PutAsJsonAsync("/api/phone/agents/alice", new { number = AliceNumber, onDuty = true }));
        foreach (var (id, zone, caller) in new[] { ("london", "Europe/London", "+441632960001"), ("tokyo", "Asia/Tokyo", "+81312345678") })
        {
            await Ok(await Staff.PutAsJsonAsync($"/api/accounts/{id}", new { name = id + " Ltd", timeZone = zone }));
            var account = JsonNode.Parse(await Staff.GetStringAsync($"/api/accounts/{id}"))!;
            account["contract"]!["phone"]!["callers"] = new JsonArray(new JsonObject { ["number"] = caller, ["contactId"] = id + "-contact" });
            await Ok(await Staff.PutAsJsonAsync($"/api/accounts/{id}", new { name = id + " Ltd", timeZone = zone, contract = account["contract"] }));
        }

        await Eventually(() => Task.FromResult(Ari.Connected), "the plugin connects to ARI");
    }

    public async Task DisposeAsync()
    {
        Factory.Dispose();
        await Ari.DisposeAsync();
    }

    public static async Task<JsonNode> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!;
    }

    public static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(25);
        }
    }
}

/// <summary>The flows of the Twilio tests, through ARI: answered in hours, unanswered then voicemail, after hours, and a reconnect mid-call.</summary>
public sealed class AsteriskCallTests(AsteriskHost host) : IClassFixture<AsteriskHost>
{
    private FakeAri Ari => host.Ari;

    private async Task<JsonNode?> CallLogAsync(string callId)
    {
        var response = await host.Staff.GetAsync($"/api/phone/calls/asterisk:{callId}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await AsteriskHost.Ok(response);
    }

    private async Task<JsonNode> CallLogWhenAsync(string callId, Func<JsonNode, bool> condition, string what)
    {
        JsonNode? call = null;
        await AsteriskHost.Eventually(async () => (call = await CallLogAsync(callId)) is not null && condition(call), what);
        return call!;
    }

    private async Task<string> PluginHealthAsync()
    {
        using var response = await host.Anonymous.GetAsync("/health/ready");
        return (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["checks"]!["plugins"]!["data"]!["asterisk"] ?? "";
    }

    private async Task<int> UsedAsync(string account) => (int)JsonNode.Parse(await host.Staff.GetStringAsync($"/api/accounts/{account}/allowance"))!["usedMinutes"]!;

    [Fact]
    public async Task AnsweredInHours_RingsOnDutyStaff_BridgesAndCountsTalkTime()
    {
        var before = await UsedAsync("london");
        var caller = await Ari.CallInAsync("+441632960001", AsteriskHost.SupportNumber, "Lee London");

        await AsteriskHost.Eventually(() => Task.FromResult(Ari.Ringing(AsteriskHost.AliceEndpoint) is not null), "alice's phone rings");
        Assert.Contains(Ari.Requests, r => r.StartsWith($"POST /channels/{caller}/answer", StringComparison.Ordinal));
        Assert.Contains(Ari.Requests, r => r.StartsWith("POST /channels?endpoint=PJSIP%2F%2B447700900001%40staff&app=supportplatform&appArgs=sp-agent%2C", StringComparison.Ordinal) && r.Contains("timeout=", StringComparison.Ordinal));
        var ringing = await CallLogWhenAsync(caller, c => (string?)c["outcome"] == "ringing", "the call is logged as ringing");
        Assert.Equal("london", (string?)ringing["accountId"]);

        host.Clock.Advance(TimeSpan.FromSeconds(10));
        var leg = await Ari.StaffAnswersAsync(AsteriskHost.AliceEndpoint);
        await AsteriskHost.Eventually(() => Task.FromResult(Ari.BridgeMembers("sp-" + caller).Count == 2), "caller and alice are bridged");
        Assert.Equal(new[] { caller, leg }.Order(StringComparer.Ordinal), Ari.BridgeMembers("sp-" + caller).Order(StringComparer.Ordinal));

        host.Clock.Advance(TimeSpan.FromSeconds(725));
        await Ari.HangUpAsync(leg);

        var call = await CallLogWhenAsync(caller, c => c["talkSeconds"] is not null && c["endedAt"] is not null, "the call is counted");
        Assert.Equal(("answered", "alice", 725L, 18, "london"), ((string?)call["outcome"], (string?)call["agentId"], (long)call["talkSeconds"]!, (int)call["countedMinutes"]!, (string?)call["accountId"]));
        var ticket = JsonNode.Parse(await host.Staff.GetStringAsync($"/api/tickets/{(long)call["ticketId"]!}"))!;
        Assert.Equal("phone", (string?)ticket["channel"]);
        Assert.NotNull((string?)ticket["firstResponseAt"]);
        Assert.Equal(before + 18, await UsedAsync("london"));
        await AsteriskHost.Eventually(() => Task.FromResult(!Ari.ChannelIds.Contains(caller)), "the caller's channel is hung up after staff leave");
    }

    [Fact]
    public async Task UnansweredThenVoicemail_FetchesTheRecording_VoicemailTicketLinksToIt()
    {
        var caller = await Ari.CallInAsync("+441632960001", AsteriskHost.SupportNumber);
        await AsteriskHost.Eventually(() => Task.FromResult(Ari.Ringing(AsteriskHost.AliceEndpoint) is not null), "alice's phone rings");
        host.Clock.Advance(TimeSpan.FromSeconds(20));
        await Ari.StaffDoesNotAnswerAsync(AsteriskHost.AliceEndpoint);

        await AsteriskHost.Eventually(() => Task.FromResult(Ari.IsRecording(caller)), "the greeting plays and the recording starts");
        Assert.Contains(Ari.Requests, r => r.StartsWith($"POST /channels/{caller}/play?media=sound%3Avm-intro", StringComparison.Ordinal));
        Assert.Contains(Ari.Requests, r => r.StartsWith($"POST /channels/{caller}/record?name=sp-", StringComparison.Ordinal) && r.Contains("beep=true", StringComparison.Ordinal));

        var audio = Encoding.ASCII.GetBytes("RIFF....WAVEfmt fake voicemail audio for " + caller);
        host.Clock.Advance(TimeSpan.FromSeconds(31));
        await Ari.LeaveMessageAsync(caller, 31, audio);

        var call = await CallLogWhenAsync(caller, c => (string?)c["outcome"] == "voicemail" && c["ticketId"] is not null, "the voicemail ticket is opened");
        var link = (string)call["recordingUrl"]!;
        Assert.StartsWith(AsteriskHost.PublicUrl + "hooks/asterisk/recordings/", link, StringComparison.Ordinal);
        var ticket = JsonNode.Parse(await host.Staff.GetStringAsync($"/api/tickets/{(long)call["ticketId"]!}"))!;
        Assert.Equal(("voicemail", "london"), ((string?)ticket["channel"], (string?)ticket["accountId"]));
        Assert.Contains(link, (string)ticket["description"]!, StringComparison.Ordinal);

        // The recording was fetched from Asterisk and is served from the plugin's data folder through the signed link only.
        var path = new Uri(link).AbsolutePath["/desk".Length..];
        var fetched = await host.Anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal("audio/wav", fetched.Content.Headers.ContentType?.MediaType);
        Assert.Equal(audio, await fetched.Content.ReadAsByteArrayAsync());
        var parts = path.Split('/');
        var forged = string.Join('/', parts[..^2]) + "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/" + parts[^1];
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Anonymous.GetAsync(forged)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Anonymous.GetAsync(string.Join('/', parts[..^1]) + "/sp-other.wav")).StatusCode);
        await AsteriskHost.Eventually(() => Task.FromResult(!Ari.ChannelIds.Contains(caller)), "the caller is hung up after the message");
    }

    [Fact]
    public async Task AfterHours_StraightToVoicemail_NoOneIsRung()
    {
        // 10:00 UTC is 19:00 in Tokyo.
        var caller = await Ari.CallInAsync("+81312345678", AsteriskHost.SupportNumber);
        await AsteriskHost.Eventually(() => Task.FromResult(Ari.IsRecording(caller)), "the recording starts");
        Assert.DoesNotContain(Ari.Requests, r => r.StartsWith("POST /channels?endpoint=", StringComparison.Ordinal) && r.Contains(caller, StringComparison.Ordinal));

        await Ari.LeaveMessageAsync(caller, 12, Encoding.ASCII.GetBytes("RIFF tokyo message"));
        var call = await CallLogWhenAsync(caller, c => c["ticketId"] is not null, "the voicemail ticket is opened");
        var ticket = JsonNode.Parse(await host.Staff.GetStringAsync($"/api/tickets/{(long)call["ticketId"]!}"))!;
        Assert.Equal(("voicemail", "tokyo"), ((string?)ticket["channel"], (string?)ticket["accountId"]));
    }

    [Fact]
    public async Task AfterHoursCriticalContract_OriginatesToTheOnCallEngineerOfTheSchedule()
    {
        // 10:00 UTC is 19:00 in Tokyo; this account's contract routes after-hours calls to the engineer on call for L1.
        const string bobNumber = "+447700900333";
        const string bobEndpoint = "PJSIP/+447700900333@staff";
        var admin = await host.Factory.CreateStaffClientAsync("admin", "ari-admin", "Ari Admin");
        await host.Factory.CreateStaffClientAsync("senior", "bob", "Bob Oncall");
        await AsteriskHost.Ok(await host.Staff.PutAsJsonAsync("/api/phone/agents/bob", new { number = bobNumber, onDuty = false }));
        await AsteriskHost.Ok(await admin.PutAsJsonAsync("/api/accounts/tokyo-oncall", new { name = "Tokyo On-call Ltd", timeZone = "Asia/Tokyo" }));
        var account = JsonNode.Parse(await admin.GetStringAsync("/api/accounts/tokyo-oncall"))!;
        account["contract"]!["phone"]!["callers"] = new JsonArray(new JsonObject { ["number"] = "+81312349999", ["contactId"] = "tokyo-oncall-contact" });
        account["contract"]!["phone"]!["afterHoursOnCall"] = true;
        await AsteriskHost.Ok(await admin.PutAsJsonAsync("/api/accounts/tokyo-oncall", new { name = "Tokyo On-call Ltd", timeZone = "Asia/Tokyo", contract = account["contract"] }));
        await AsteriskHost.Ok(await admin.PutAsJsonAsync("/api/oncall/schedules/ari-l1", new
        {
            team = "L1", timeZone = "Europe/London",
            layers = new[] { new { name = "weekly", users = new[] { "bob" }, handoff = "weekly", handoffTime = "09:00", start = "2026-12-01" } },
        }));

        try
        {
            var caller = await Ari.CallInAsync("+81312349999", AsteriskHost.SupportNumber);
            await AsteriskHost.Eventually(() => Task.FromResult(Ari.Ringing(bobEndpoint) is not null), "the on-call engineer's phone rings");
            Assert.Contains(Ari.Requests, r => r.StartsWith("POST /channels?endpoint=PJSIP%2F%2B447700900333%40staff&app=supportplatform", StringComparison.Ordinal));
            Assert.Null(Ari.Ringing(AsteriskHost.AliceEndpoint));

            // Bob does not answer: the caller leaves a voicemail (nobody else is rung).
            await Ari.StaffDoesNotAnswerAsync(bobEndpoint);
            await AsteriskHost.Eventually(() => Task.FromResult(Ari.IsRecording(caller)), "the recording starts");
            await Ari.LeaveMessageAsync(caller, 9, Encoding.ASCII.GetBytes("RIFF on-call message"));
            var call = await CallLogWhenAsync(caller, c => c["ticketId"] is not null, "the voicemail ticket is opened");
            Assert.Equal("tokyo-oncall", (string?)call["accountId"]);
        }
        finally
        {
            await AsteriskHost.Ok(await admin.DeleteAsync("/api/oncall/schedules/ari-l1"));
        }
    }

    [Fact]
    public async Task ConnectionLostMidCall_Reconnects_CallCountedUpToTheLoss_Once()
    {
        var before = await UsedAsync("london");
        var caller = await Ari.CallInAsync("+441632960001", AsteriskHost.SupportNumber);
        await AsteriskHost.Eventually(() => Task.FromResult(Ari.Ringing(AsteriskHost.AliceEndpoint) is not null), "alice's phone rings");
        var leg = await Ari.StaffAnswersAsync(AsteriskHost.AliceEndpoint);
        await AsteriskHost.Eventually(() => Task.FromResult(Ari.BridgeMembers("sp-" + caller).Count == 2), "bridged");
        var connections = Ari.Connections;

        // Four minutes into the call the event stream is cut, and ARI refuses the credentials for a while.
        host.Clock.Advance(TimeSpan.FromMinutes(4));
        Ari.Password = "rotated";
        Ari.Down = false;
        await Ari.DropAsync();
        Ari.Down = false;
        await AsteriskHost.Eventually(async () => (await PluginHealthAsync()).Contains("refused user 'sp' (401)", StringComparison.Ordinal), "the health check names the refused user");

        // The caller hangs up while the adapter is away: Asterisk does not keep that event.
        host.Clock.Advance(TimeSpan.FromMinutes(5));
        await Ari.HangUpAsync(caller);
        Ari.Password = "ari-secret";

        await AsteriskHost.Eventually(() => Task.FromResult(Ari.Connections > connections), "the plugin reconnects with backoff");
        var call = await CallLogWhenAsync(caller, c => c["talkSeconds"] is not null && c["endedAt"] is not null, "the call is settled after the reconnect");
        Assert.Equal(("answered", 240L, 6), ((string?)call["outcome"], (long)call["talkSeconds"]!, (int)call["countedMinutes"]!));
        Assert.Equal(before + 6, await UsedAsync("london"));
        await AsteriskHost.Eventually(() => Task.FromResult(!Ari.ChannelIds.Contains(leg)), "alice's leg is hung up");

        // A later reconnect settles nothing twice.
        connections = Ari.Connections;
        await Ari.DropAsync();
        Ari.Down = false;
        await AsteriskHost.Eventually(() => Task.FromResult(Ari.Connections > connections), "the plugin reconnects again");
        Assert.Equal(before + 6, await UsedAsync("london"));
    }
}
