using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Faults.Tests.Infrastructure;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Faults.Tests;

/// <summary>
/// The webhooks' own authentication (the host leaves it to each plugin): no credentials, a wrong token, a forged or
/// replayed-elsewhere signature each get the exact refusal and store nothing; a body over the limit gets 413.
/// </summary>
public sealed class WebhookAuthorizationTests(FuzzHost host) : IClassFixture<FuzzHost>
{
    private static readonly string Alert = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "alertmanager", "firing.json"));
    private static readonly string Datadog = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "datadog", "triggered.json"));
    private const string Nagios = "type=PROBLEM&host=srv-0&service=AUTH&state=CRITICAL&output=x&time=1796644800&problemId=7";

    private async Task<long> StoredAsync(string sql)
    {
        var database = host.Factory.Services.GetRequiredService<IDatabase>();
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<HttpStatusCode> PostAsync(string path, string body, string contentType, Action<HttpRequestMessage>? credentials = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        credentials?.Invoke(request);
        using var response = await host.Anonymous.SendAsync(request);
        return response.StatusCode;
    }

    private static Action<HttpRequestMessage> Bearer(string token) => r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

    [Fact]
    public async Task MonitoringWebhooks_WithoutOrWithWrongCredentials_Get401_AndStoreNothing()
    {
        var before = await StoredAsync("SELECT count(*) FROM sp_monitor_alerts");
        var cases = new (string Name, string Path, string Body, string Type, Action<HttpRequestMessage>? Credentials)[]
        {
            ("alertmanager, none", "/hooks/alertmanager/", Alert, "application/json", null),
            ("alertmanager, wrong", "/hooks/alertmanager/", Alert, "application/json", Bearer("not-the-token-0123456789")),
            ("alertmanager, other plugin's", "/hooks/alertmanager/", Alert, "application/json", Bearer(FuzzHost.NagiosToken)),
            ("alertmanager, prefix", "/hooks/alertmanager/", Alert, "application/json", Bearer(FaultPlatform.AlertmanagerToken[..^1])),
            ("datadog, none", "/hooks/datadog/", Datadog, "application/json", null),
            ("datadog, wrong", "/hooks/datadog/", Datadog, "application/json", Bearer("fuzz-datadog-secret-0123456788")),
            ("datadog, basic wrong", "/hooks/datadog/", Datadog, "application/json", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("dd:nope-nope-nope-nope"u8.ToArray()))),
            ("nagios, none", "/hooks/nagios/", Nagios, "application/x-www-form-urlencoded", null),
            ("nagios, wrong", "/hooks/nagios/", Nagios, "application/x-www-form-urlencoded", Bearer(FaultPlatform.AlertmanagerToken)),
        };
        foreach (var (name, path, body, type, credentials) in cases)
        {
            Assert.True(await PostAsync(path, body, type, credentials) == HttpStatusCode.Unauthorized, name);
        }

        Assert.Equal(before, await StoredAsync("SELECT count(*) FROM sp_monitor_alerts"));
    }

    [Fact]
    public async Task TwilioHooks_UnsignedForgedOrSignedForAnotherUrl_Get403_AndStoreNothing()
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = "CAforged0001", ["AccountSid"] = "AC0000", ["From"] = FaultPlatform.Caller, ["To"] = "+442079460100", ["Direction"] = "inbound", ["CallStatus"] = "ringing",
        };
        var before = await StoredAsync("SELECT count(*) FROM sp_calls");
        var cases = new (string Name, string? Signature)[]
        {
            ("unsigned", null),
            ("garbage", "not-a-signature"),
            ("wrong key", FaultPlatform.TwilioSignature(FaultPlatform.PublicUrl + "hooks/twilio/voice", form, "another-auth-token-0123456789")),
            ("another URL", FaultPlatform.TwilioSignature(FaultPlatform.PublicUrl + "hooks/twilio/status", form)),
            ("other form", FaultPlatform.TwilioSignature(FaultPlatform.PublicUrl + "hooks/twilio/voice", new Dictionary<string, string>(form) { ["From"] = "+15555550100" })),
        };
        foreach (var (name, signature) in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/voice") { Content = new FormUrlEncodedContent(form) };
            if (signature is not null)
            {
                request.Headers.Add("X-Twilio-Signature", signature);
            }

            using var response = await host.Anonymous.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{name}: {(int)response.StatusCode}");
        }

        Assert.Equal(before, await StoredAsync("SELECT count(*) FROM sp_calls"));
        Assert.Equal(0, await StoredAsync("SELECT count(*) FROM sp_calls WHERE id LIKE '%CAforged%'"));
    }

    [Fact]
    public async Task Webhook_BodyOverTheLimit_Gets413_Unread()
    {
        var before = await StoredAsync("SELECT count(*) FROM sp_monitor_alerts");
        var huge = Alert.Replace("\"description\":\"/ at 99%\"", "\"description\":\"" + new string('x', 1024 * 1024 + 10) + "\"", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PostAsync("/hooks/alertmanager/", huge, "application/json", Bearer(FaultPlatform.AlertmanagerToken)));
        Assert.Equal(before, await StoredAsync("SELECT count(*) FROM sp_monitor_alerts"));
    }
}
