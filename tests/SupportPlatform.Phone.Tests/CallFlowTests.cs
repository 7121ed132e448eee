using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Sdk.Telephony;

namespace SupportPlatform.Phone.Tests;

/// <summary>
/// Calls reported through the SDK's telephony host service, as an adapter does: routing, counting, tickets, voicemail,
/// repeated and reordered events, triage. Each test uses its own account and call ids.
/// </summary>
public abstract class CallFlowTests(PhoneFixture host)
{
    private readonly HttpClient staff = host.Staff;

    private static readonly DateTimeOffset Now = new(2026, 12, 15, 10, 0, 0, TimeSpan.Zero);

    private Task<JsonNode> AccountWithCallerAsync(string id, string caller, string timeZone = "Europe/London", Action<JsonObject>? phone = null) =>
        host.DefineAccountAsync(id, timeZone, p =>
        {
            p["callers"] = new JsonArray(new JsonObject { ["number"] = caller, ["contactId"] = id + "-contact" });
            phone?.Invoke(p);
        });

    private static CallEvent Event(string callId, CallEventKind kind, string eventId, int minute, string from, string to = "+442079460100") =>
        new("twilio", callId, kind, eventId, Now.AddMinutes(minute)) { From = from, To = to };

    private async Task<JsonNode> CallAsync(string callId) => JsonNode.Parse(await staff.GetStringAsync($"/api/phone/calls/twilio:{callId}"))!;

    private async Task<JsonNode> TicketAsync(long id) => JsonNode.Parse(await staff.GetStringAsync($"/api/tickets/{id}"))!;

    [Fact]
    public async Task AnsweredInHours_RoutedToOnDuty_CountedAndNotedOnTicketAsFirstResponse()
    {
        await AccountWithCallerAsync("answered", "+441632960001");

        var route = await host.Telephony.RouteCallAsync(new IncomingCall("twilio", "CA-ans", "+441632960001", "+442079460100"), CancellationToken.None);
        await host.Telephony.ReportAsync(Event("CA-ans", CallEventKind.Started, "voice", 0, "+441632960001"), CancellationToken.None);
        await host.Telephony.ReportAsync(Event("CA-ans", CallEventKind.Answered, "answered", 0, "+441632960001") with { AgentNumber = PhoneFixture.AliceNumber }, CancellationToken.None);
        var result = await host.Telephony.ReportAsync(
            Event("CA-ans", CallEventKind.Connected, "dial-action", 7, "+441632960001") with { AgentNumber = PhoneFixture.AliceNumber, TalkDuration = TimeSpan.FromSeconds(400) },
            CancellationToken.None);
        await host.Telephony.ReportAsync(Event("CA-ans", CallEventKind.Ended, "status:completed", 7, "+441632960001") with { Status = "completed" }, CancellationToken.None);

        Assert.Equal((CallRouteAction.Dial, "answered", "answered-contact"), (route.Action, route.AccountId, route.ContactId));
        Assert.Equal([PhoneFixture.AliceNumber], route.Numbers);
        var call = await CallAsync("CA-ans");
        Assert.Equal(("answered", "alice", 400L, 12, "answered"), ((string?)call["outcome"], (string?)call["agentId"], (long)call["talkSeconds"]!, (int)call["countedMinutes"]!, (string?)call["accountId"]));
        var ticket = await TicketAsync(result.TicketId!.Value);
        Assert.Equal(("phone", "answered-contact"), ((string?)ticket["channel"], (string?)ticket["requesterId"]));
        Assert.NotNull((string?)ticket["firstResponseAt"]);
        var usage = JsonNode.Parse(await staff.GetStringAsync("/api/accounts/answered/allowance"))!;
        Assert.Equal(12, (int)usage["usedMinutes"]!);
    }

    [Fact]
    public async Task RepeatedAndReorderedEvents_CountedOnce()
    {
        await AccountWithCallerAsync("reorder", "+441632960002");
        var connected = Event("CA-re", CallEventKind.Connected, "dial-action", 5, "+441632960002") with { AgentNumber = PhoneFixture.AliceNumber, TalkDuration = TimeSpan.FromMinutes(5) };

        await host.Telephony.ReportAsync(Event("CA-re", CallEventKind.Ended, "status:completed", 5, "+441632960002"), CancellationToken.None);
        var first = await host.Telephony.ReportAsync(connected, CancellationToken.None);
        var again = await host.Telephony.ReportAsync(connected, CancellationToken.None);
        await host.Telephony.ReportAsync(connected with { EventId = "status-callback-dial", TalkDuration = TimeSpan.FromMinutes(9) }, CancellationToken.None);
        await host.Telephony.ReportAsync(Event("CA-re", CallEventKind.Started, "voice", 0, "+441632960002"), CancellationToken.None);

        Assert.Equal((false, true, first.TicketId), (first.Duplicate, again.Duplicate, again.TicketId));
        Assert.Equal(6, (int)JsonNode.Parse(await staff.GetStringAsync("/api/accounts/reorder/allowance"))!["usedMinutes"]!);
        var call = await CallAsync("CA-re");
        Assert.Equal((300L, "answered"), ((long)call["talkSeconds"]!, (string?)call["outcome"]));
    }

    [Fact]
    public async Task UnansweredThenVoicemail_TicketWithRecordingTranscriptionAndVoicemailTarget()
    {
        await AccountWithCallerAsync("vm", "+441632960003", phone: p =>
        {
            p["voicemailPriority"] = "high";
            p["voicemailTargets"] = new JsonArray(new JsonObject { ["priority"] = "high", ["minutes"] = 30 });
        });

        await host.Telephony.ReportAsync(Event("CA-vm", CallEventKind.Started, "voice", 0, "+441632960003"), CancellationToken.None);
        await host.Telephony.ReportAsync(Event("CA-vm", CallEventKind.NotAnswered, "dial-action", 0, "+441632960003") with { Status = "no-answer" }, CancellationToken.None);
        var recorded = await host.Telephony.ReportAsync(Event("CA-vm", CallEventKind.Voicemail, "recording:RE1", 1, "+441632960003") with
        {
            RecordingId = "RE1", RecordingUrl = "https://api.twilio.example/Recordings/RE1", RecordingDuration = TimeSpan.FromSeconds(42),
        }, CancellationToken.None);
        await host.Telephony.ReportAsync(Event("CA-vm", CallEventKind.Transcription, "transcription:TR1", 2, "+441632960003") with { Transcription = "The VPN is down again." }, CancellationToken.None);
        await host.Telephony.ReportAsync(Event("CA-vm", CallEventKind.Transcription, "transcription:TR1", 2, "+441632960003") with { Transcription = "The VPN is down again." }, CancellationToken.None);

        var ticket = await TicketAsync(recorded.TicketId!.Value);
        Assert.Equal(("voicemail", "high"), ((string?)ticket["channel"], (string?)ticket["priority"]));
        Assert.Contains("https://api.twilio.example/Recordings/RE1", (string)ticket["description"]!, StringComparison.Ordinal);
        var firstResponse = ticket["sla"]!.AsArray().Single(c => (string?)c!["kind"] == "first-response")!;
        Assert.Equal(Now.AddMinutes(1 + 30), DateTimeOffset.Parse((string)firstResponse["dueAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        var history = JsonNode.Parse(await staff.GetStringAsync($"/api/tickets/{recorded.TicketId}/history"))!.AsArray();
        Assert.Single(history, e => ((string?)e!["event"]?["body"] ?? (string?)e!["body"] ?? "").Contains("The VPN is down again.", StringComparison.Ordinal));
        var call = await CallAsync("CA-vm");
        Assert.Equal(("voicemail", "The VPN is down again."), ((string?)call["outcome"], (string?)call["transcription"]));
        Assert.Equal(0, (int)JsonNode.Parse(await staff.GetStringAsync("/api/accounts/vm/allowance"))!["usedMinutes"]!);
    }

    [Fact]
    public async Task AfterHours_Voicemail_OrOnCallForCriticalContract()
    {
        // 10:00 UTC is 19:00 in Tokyo: after the 09:00-17:00 support hours.
        await AccountWithCallerAsync("tokyo", "+81312345678", "Asia/Tokyo");
        await AccountWithCallerAsync("tokyo-critical", "+81312345679", "Asia/Tokyo", p => p["afterHoursOnCall"] = true);

        var voicemail = await host.Telephony.RouteCallAsync(new IncomingCall("twilio", "CA-ah1", "+81312345678", "+442079460100"), CancellationToken.None);
        var onCall = await host.Telephony.RouteCallAsync(new IncomingCall("twilio", "CA-ah2", "+81312345679", "+442079460100"), CancellationToken.None);
        var onCallUnanswered = await host.Telephony.RouteCallAsync(new IncomingCall("twilio", "CA-ah2", "+81312345679", "+442079460100", Attempt: 1), CancellationToken.None);

        Assert.Equal((CallRouteAction.Voicemail, "after hours"), (voicemail.Action, voicemail.Reason));
        Assert.Equal((CallRouteAction.Dial, "+447700900999"), (onCall.Action, Assert.Single(onCall.Numbers)));
        Assert.Equal(CallRouteAction.Voicemail, onCallUnanswered.Action);
    }

    [Fact]
    public async Task UnknownCaller_Triage_ThenAssignedAccount_CountedAndTicketed()
    {
        await host.DefineAccountAsync("later");

        var route = await host.Telephony.RouteCallAsync(new IncomingCall("twilio", "CA-unk", "+15550100999", "+442079460100"), CancellationToken.None);
        await host.Telephony.ReportAsync(Event("CA-unk", CallEventKind.Connected, "dial-action", 3, "+15550100999") with { AgentNumber = PhoneFixture.AliceNumber, TalkDuration = TimeSpan.FromMinutes(3) }, CancellationToken.None);
        var triaged = JsonNode.Parse(await staff.GetStringAsync("/api/phone/calls?triage=true"))!.AsArray();

        Assert.Null(route.AccountId);
        Assert.Contains(triaged, c => (string?)c!["id"] == "twilio:CA-unk");
        var assigned = await PhoneFixture.Ok(await staff.PutAsJsonAsync("/api/phone/calls/twilio:CA-unk/account", new { accountId = "later" }));
        Assert.Equal((6, false), ((int)assigned["countedMinutes"]!, (bool)assigned["triage"]!));
        Assert.NotNull((long?)assigned["ticketId"]);
    }

    [Fact]
    public async Task AgentPicksTicketDuringCall_CallNotedThereAsFirstResponse()
    {
        await AccountWithCallerAsync("picked", "+441632960005");
        var ticket = await PhoneFixture.Ok(await staff.PostAsJsonAsync("/api/tickets", new { accountId = "picked", requesterId = "picked-contact", subject = "Backup failed", priority = "normal" }));
        var id = (long)ticket["id"]!;

        await host.Telephony.ReportAsync(Event("CA-pick", CallEventKind.Answered, "answered", 0, "+441632960005") with { AgentNumber = PhoneFixture.AliceNumber }, CancellationToken.None);
        await PhoneFixture.Ok(await staff.PutAsJsonAsync("/api/phone/calls/twilio:CA-pick/ticket", new { ticketId = id }));
        var result = await host.Telephony.ReportAsync(Event("CA-pick", CallEventKind.Connected, "dial-action", 4, "+441632960005") with { AgentNumber = PhoneFixture.AliceNumber, TalkDuration = TimeSpan.FromMinutes(4) }, CancellationToken.None);

        Assert.Equal(id, result.TicketId);
        Assert.NotNull((string?)(await TicketAsync(id))["firstResponseAt"]);
    }

    [Fact]
    public async Task SupportNumber_OfOneAccount_TakenByAnother_Refused()
    {
        await host.DefineAccountAsync("owner", phone: p => p["supportNumbers"] = new JsonArray("+442079460555"));
        await host.DefineAccountAsync("intruder");
        var account = JsonNode.Parse(await staff.GetStringAsync("/api/accounts/intruder"))!;
        account["contract"]!["phone"]!["supportNumbers"] = new JsonArray("+442079460555");

        var problem = await PhoneFixture.Problem(await staff.PutAsJsonAsync("/api/accounts/intruder", new { name = "Intruder", timeZone = "Europe/London", contract = account["contract"] }), 422);

        Assert.Contains("already belongs to account 'owner'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var route = await host.Telephony.RouteCallAsync(new IncomingCall("twilio", "CA-sn", "+15550100123", "+442079460555"), CancellationToken.None);
        Assert.Equal("owner", route.AccountId);
    }
}

public sealed class SqliteCallFlowTests(SqlitePhone host) : CallFlowTests(host), IClassFixture<SqlitePhone>;

public sealed class PostgreSqlCallFlowTests(PostgreSqlPhone host) : CallFlowTests(host), IClassFixture<PostgreSqlPhone>;
