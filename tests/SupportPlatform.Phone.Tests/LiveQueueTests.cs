using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using SupportPlatform.Sdk.Telephony;

namespace SupportPlatform.Phone.Tests;

/// <summary>Incoming calls and voicemails reach a staff member's live queue (a real SignalR client on /hubs/live).</summary>
public sealed class LiveQueueTests(SqlitePhone host) : IClassFixture<SqlitePhone>
{
    [Fact]
    public async Task IncomingCallAndVoicemail_AppearInLiveQueueWithAccount()
    {
        await host.DefineAccountAsync("live", phone: p => p["callers"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["number"] = "+441632960077" }));
        var token = await host.Factory.Users.StaffTokenAsync("agent", "live-watcher", "Live Watcher");
        var changes = Channel.CreateUnbounded<JsonElement>();
        var server = host.Factory.Server;
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "/hubs/live"), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.WebSocketFactory = async (context, cancellationToken) =>
                {
                    var client = server.CreateWebSocketClient();
                    client.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + token;
                    return await client.ConnectAsync(context.Uri, cancellationToken);
                };
            })
            .Build();
        connection.On<JsonElement>("queueChanged", e => changes.Writer.TryWrite(e.Clone()));
        await connection.StartAsync();
        await connection.InvokeAsync<JsonElement>("SubscribeQueue", (long?)null);

        var at = new DateTimeOffset(2026, 12, 15, 10, 0, 0, TimeSpan.Zero);
        await host.Telephony.ReportAsync(new CallEvent("twilio", "CA-live", CallEventKind.Started, "voice", at) { From = "+441632960077", To = "+442079460100" }, CancellationToken.None);
        await host.Telephony.ReportAsync(new CallEvent("twilio", "CA-live", CallEventKind.Voicemail, "recording:RE-live", at.AddMinutes(1))
        {
            From = "+441632960077", To = "+442079460100", RecordingId = "RE-live", RecordingUrl = "https://api.twilio.example/RE-live", RecordingDuration = TimeSpan.FromSeconds(9),
        }, CancellationToken.None);

        var call = await NextAsync(changes, c => c.GetProperty("kind").GetString() == "call");
        Assert.Contains("+441632960077", call.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("live", call.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var voicemail = await NextAsync(changes, c => c.GetProperty("kind").GetString() == "voicemail");
        Assert.Equal(("live", "voicemail"), (voicemail.GetProperty("ticket").GetProperty("accountId").GetString(), voicemail.GetProperty("ticket").GetProperty("channel").GetString()));
    }

    private static async Task<JsonElement> NextAsync(Channel<JsonElement> changes, Func<JsonElement, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            var change = await changes.Reader.ReadAsync(timeout.Token);
            if (match(change))
            {
                return change;
            }
        }
    }
}
