using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Telephony.Twilio.Tests;

/// <summary>
/// The Twilio plugin loaded by the real host from a plugin folder, on the embedded database and a fake clock
/// (Tuesday 15 December 2026, 10:00 UTC: business hours in London). Requests are signed like Twilio signs them
/// (HMAC-SHA1 over the public URL and the sorted form, keyed by the auth token, computed here independently).
/// </summary>
public sealed class TwilioHost : IAsyncLifetime
{
    public const string AuthToken = "test-auth-token-0123456789";
    public const string PublicUrl = "https://support.msp.example/desk/";
    public const string AliceNumber = "+447700900001";

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 15, 10, 0, 0, TimeSpan.Zero));

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = new PlatformFactory(clock: Clock, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Plugins:Path"] = Path.Combine(AppContext.BaseDirectory, "plugins"),
            ["SupportPlatform:PublicUrl"] = PublicUrl,
            ["Plugins:twilio:authToken"] = AuthToken,
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
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    public static async Task<JsonNode> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!;
    }
}

public sealed class TwilioWebhookTests(TwilioHost host) : IClassFixture<TwilioHost>
{
    /// <summary>Twilio's signature: base64 HMAC-SHA1 of the URL followed by each form key and value, keys sorted ordinally.</summary>
    private static string Sign(string url, IEnumerable<KeyValuePair<string, string>> form, string token = TwilioHost.AuthToken)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
    }

    private async Task<HttpResponseMessage> PostAsync(string hook, Dictionary<string, string> form, string? signature = null, bool signed = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/" + hook) { Content = new FormUrlEncodedContent(form) };
        if (signed)
        {
            request.Headers.Add("X-Twilio-Signature", signature ?? Sign(TwilioHost.PublicUrl + "hooks/twilio/" + hook, form));
        }

        return await host.Anonymous.SendAsync(request);
    }

    private static Dictionary<string, string> Call(string sid, string from, params (string Key, string Value)[] more)
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = sid, ["AccountSid"] = "AC0000", ["From"] = from, ["To"] = "+442079460100", ["Direction"] = "inbound", ["CallStatus"] = "in-progress",
        };
        foreach (var (key, value) in more)
        {
            form[key] = value;
        }

        return form;
    }

    private async Task<XDocument> TwimlAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/xml", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return XDocument.Parse(body);
    }

    private async Task<JsonNode> CallLogAsync(string sid) => JsonNode.Parse(await host.Staff.GetStringAsync($"/api/phone/calls/twilio:{sid}"))!;

    private async Task<int> UsedAsync(string account) => (int)JsonNode.Parse(await host.Staff.GetStringAsync($"/api/accounts/{account}/allowance"))!["usedMinutes"]!;

    [Fact]
    public async Task AnsweredInHours_DialsOnDuty_CountsTalkTimeOnTicket()
    {
        var before = await UsedAsync("london");
        var twiml = await TwimlAsync(await PostAsync("voice", Call("CA100", "+441632960001")));

        var dial = twiml.Root!.Element("Dial")!;
        Assert.Equal(TwilioHost.PublicUrl + "hooks/twilio/dial-action?attempt=0", (string?)dial.Attribute("action"));
        Assert.Equal(TwilioHost.AliceNumber, dial.Element("Number")!.Value.Trim());
        Assert.Equal(TwilioHost.PublicUrl + "hooks/twilio/number-status", (string?)dial.Element("Number")!.Attribute("statusCallback"));

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync("number-status", Call("CA100-leg", "+441632960001", ("ParentCallSid", "CA100"), ("To", TwilioHost.AliceNumber)))).StatusCode);
        await TwimlAsync(await PostAsync("dial-action?attempt=0", Call("CA100", "+441632960001", ("DialCallStatus", "completed"), ("DialCallSid", "CA100-leg"), ("DialCallDuration", "725"))));
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync("status", Call("CA100", "+441632960001", ("CallStatus", "completed"), ("CallDuration", "760")))).StatusCode);

        var call = await CallLogAsync("CA100");
        Assert.Equal(("answered", "alice", 725L, 18, "london"), ((string?)call["outcome"], (string?)call["agentId"], (long)call["talkSeconds"]!, (int)call["countedMinutes"]!, (string?)call["accountId"]));
        var ticket = JsonNode.Parse(await host.Staff.GetStringAsync($"/api/tickets/{(long)call["ticketId"]!}"))!;
        Assert.Equal("phone", (string?)ticket["channel"]);
        Assert.NotNull((string?)ticket["firstResponseAt"]);
        Assert.Equal(before + 18, await UsedAsync("london"));
    }

    [Fact]
    public async Task UnansweredThenVoicemail_RecordsAndOpensVoicemailTicket()
    {
        await TwimlAsync(await PostAsync("voice", Call("CA200", "+441632960001")));

        var afterNoAnswer = await TwimlAsync(await PostAsync("dial-action?attempt=0", Call("CA200", "+441632960001", ("DialCallStatus", "no-answer"))));
        var record = afterNoAnswer.Root!.Element("Record")!;
        Assert.NotNull(afterNoAnswer.Root!.Element("Say"));
        Assert.Equal(TwilioHost.PublicUrl + "hooks/twilio/record-action", (string?)record.Attribute("action"));
        Assert.Equal(TwilioHost.PublicUrl + "hooks/twilio/transcription", (string?)record.Attribute("transcribeCallback"));

        await TwimlAsync(await PostAsync("record-action", Call("CA200", "+441632960001", ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0000/Recordings/RE200"), ("RecordingDuration", "31"), ("RecordingSid", "RE200"))));
        await PostAsync("recording-status", Call("CA200", "+441632960001", ("RecordingSid", "RE200"), ("RecordingStatus", "completed"), ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0000/Recordings/RE200"), ("RecordingDuration", "31")));

        var call = await CallLogAsync("CA200");
        Assert.Equal(("voicemail", "https://api.twilio.com/2010-04-01/Accounts/AC0000/Recordings/RE200"), ((string?)call["outcome"], (string?)call["recordingUrl"]));
        var ticket = JsonNode.Parse(await host.Staff.GetStringAsync($"/api/tickets/{(long)call["ticketId"]!}"))!;
        Assert.Equal("voicemail", (string?)ticket["channel"]);
    }

    [Fact]
    public async Task AfterHoursVoicemailWithTranscription_TicketCarriesText()
    {
        // 10:00 UTC is 19:00 in Tokyo: after hours, straight to the greeting and the recording.
        var twiml = await TwimlAsync(await PostAsync("voice", Call("CA300", "+81312345678")));
        Assert.Null(twiml.Root!.Element("Dial"));
        Assert.NotNull(twiml.Root!.Element("Record"));

        // The transcription arrives before the recording status: the ticket is opened with it, once.
        await PostAsync("transcription", Call("CA300", "+81312345678", ("TranscriptionSid", "TR300"), ("TranscriptionStatus", "completed"), ("TranscriptionText", "Our mail server rejects every login."), ("RecordingSid", "RE300")));
        await PostAsync("recording-status", Call("CA300", "+81312345678", ("RecordingSid", "RE300"), ("RecordingStatus", "completed"), ("RecordingUrl", "https://api.twilio.com/Recordings/RE300"), ("RecordingDuration", "12")));
        await TwimlAsync(await PostAsync("record-action", Call("CA300", "+81312345678", ("RecordingUrl", "https://api.twilio.com/Recordings/RE300"), ("RecordingDuration", "12"))));

        var call = await CallLogAsync("CA300");
        var ticket = JsonNode.Parse(await host.Staff.GetStringAsync($"/api/tickets/{(long)call["ticketId"]!}"))!;
        Assert.Equal(("voicemail", "tokyo"), ((string?)ticket["channel"], (string?)ticket["accountId"]));
        Assert.Contains("Our mail server rejects every login.", (string)ticket["description"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuplicatedAndReorderedCallbacks_CountOnce()
    {
        var before = await UsedAsync("london");
        var dialAction = Call("CA400", "+441632960001", ("DialCallStatus", "completed"), ("DialCallDuration", "61"));

        // The status callback first, then the dial action three times, then the (late) voice webhook.
        await PostAsync("status", Call("CA400", "+441632960001", ("CallStatus", "completed")));
        await PostAsync("number-status", Call("CA400-leg", "+441632960001", ("ParentCallSid", "CA400"), ("To", TwilioHost.AliceNumber)));
        for (var i = 0; i < 3; i++)
        {
            await TwimlAsync(await PostAsync("dial-action?attempt=0", dialAction));
        }

        await PostAsync("status", Call("CA400", "+441632960001", ("CallStatus", "completed")));

        var call = await CallLogAsync("CA400");
        Assert.Equal((61L, 6), ((long)call["talkSeconds"]!, (int)call["countedMinutes"]!));
        Assert.Equal(before + 6, await UsedAsync("london"));
    }

    [Fact]
    public async Task ForgedOrUnsignedRequests_403_AndNothingChanges()
    {
        var form = Call("CA500", "+441632960001", ("DialCallStatus", "completed"), ("DialCallDuration", "600"));
        var before = await UsedAsync("london");

        var unsigned = await PostAsync("dial-action?attempt=0", form, signed: false);
        var wrongKey = await PostAsync("dial-action?attempt=0", form, Sign(TwilioHost.PublicUrl + "hooks/twilio/dial-action?attempt=0", form, "not-the-token"));
        var tampered = await PostAsync("dial-action?attempt=0", new Dictionary<string, string>(form) { ["DialCallDuration"] = "6000" }, Sign(TwilioHost.PublicUrl + "hooks/twilio/dial-action?attempt=0", form));
        var otherUrl = await PostAsync("dial-action?attempt=0", form, Sign("http://localhost/hooks/twilio/dial-action?attempt=0", form));

        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], new[] { unsigned.StatusCode, wrongKey.StatusCode, tampered.StatusCode, otherUrl.StatusCode });
        Assert.Equal(HttpStatusCode.NotFound, (await host.Staff.GetAsync("/api/phone/calls/twilio:CA500")).StatusCode);
        Assert.Equal(before, await UsedAsync("london"));
    }
}
