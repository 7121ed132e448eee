using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SupportPlatform.Testing;

namespace SupportPlatform.Plugins.Telephony.Asterisk.Tests;

/// <summary>
/// A fake Asterisk REST Interface on a loopback port, built from the documented protocol (Asterisk is not installable
/// here): Basic auth on every request, the event WebSocket at <c>/ari/events?app=NAME</c>, and the channel, bridge,
/// playback and recording resources the adapter uses, with the events real Asterisk sends for them (StasisStart with
/// the originate's appArgs when a rung endpoint answers, ChannelDestroyed with cause 19 when it does not, StasisEnd
/// then ChannelDestroyed on hang-up, PlaybackStarted/PlaybackFinished, RecordingStarted/RecordingFinished), in
/// Asterisk's JSON shapes and timestamp format. Like Asterisk, it does not queue events while no application is
/// connected: they are lost. Tests play the callers and the staff phones.
/// </summary>
public sealed class FakeAri : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly ConcurrentDictionary<string, Channel> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<string>> _bridges = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _liveRecordings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _storedRecordings = new(StringComparer.Ordinal);
    private WebSocket? _socket;
    private TaskCompletionSource _socketClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextChannel;

    public FakeAri(TimeProvider clock, string username, string password)
    {
        _clock = clock;
        Username = username;
        Password = password;
        var port = LocalSystem.FreeLoopbackPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.UseWebSockets();
        _app.Use(async (context, next) =>
        {
            if (!Authorized(context.Request))
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsync("{\"message\":\"Authentication required\"}");
                return;
            }

            await next(context);
        });
        Map();
        Url = new Uri($"http://127.0.0.1:{port}/ari");
    }

    public Uri Url { get; }

    public string Username { get; set; }

    public string Password { get; set; }

    /// <summary>While true, the event WebSocket is refused with 503 (Asterisk restarting); each refusal is counted.</summary>
    public bool Down { get; set; }

    public int RefusedConnections { get; private set; }

    public int Connections { get; private set; }

    /// <summary>Every REST request, as "METHOD path?query".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public bool Connected => _socket?.State == WebSocketState.Open;

    public IReadOnlyCollection<string> ChannelIds => _channels.Keys.ToList();

    public IReadOnlyList<string> BridgeMembers(string bridgeId) => _bridges.TryGetValue(bridgeId, out var members) ? members.ToList() : [];

    /// <summary>The channel the adapter originated to <paramref name="endpoint"/> and that still rings, if any.</summary>
    public string? Ringing(string endpoint) => _channels.Values.FirstOrDefault(c => c.Endpoint == endpoint && !c.InStasis)?.Id;

    public bool IsRecording(string channelId) => _liveRecordings.Values.Contains(channelId);

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A caller dials the support number and the dialplan sends the channel to Stasis.</summary>
    public async Task<string> CallInAsync(string from, string exten, string? name = null)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"{_clock.GetUtcNow().ToUnixTimeSeconds()}.{Interlocked.Increment(ref _nextChannel)}");
        var channel = new Channel(id, $"PJSIP/trunk-{id}", from, name ?? "", exten) { State = "Ring", InStasis = true };
        _channels[id] = channel;
        await EmitAsync("StasisStart", new JsonObject { ["args"] = new JsonArray(), ["channel"] = channel.Json() });
        return id;
    }

    /// <summary>The staff phone rung at <paramref name="endpoint"/> answers: the channel enters the application with the originate's appArgs.</summary>
    public async Task<string> StaffAnswersAsync(string endpoint)
    {
        var channel = _channels.Values.Single(c => c.Endpoint == endpoint && !c.InStasis);
        channel.State = "Up";
        channel.InStasis = true;
        var args = new JsonArray(channel.AppArgs.Split(',').Select(a => (JsonNode)JsonValue.Create(a)!).ToArray());
        await EmitAsync("StasisStart", new JsonObject { ["args"] = args, ["channel"] = channel.Json() });
        return channel.Id;
    }

    /// <summary>The staff phone rings out (the originate's timeout, or busy): the channel is destroyed without entering Stasis.</summary>
    public Task StaffDoesNotAnswerAsync(string endpoint) =>
        DestroyAsync(_channels.Values.Single(c => c.Endpoint == endpoint && !c.InStasis).Id, 19, "No answer");

    /// <summary>Someone hangs up <paramref name="channelId"/> (a caller or a staff phone).</summary>
    public Task HangUpAsync(string channelId) => DestroyAsync(channelId, 16, "Normal Clearing");

    /// <summary>The caller leaves a message of <paramref name="seconds"/> and presses #: the live recording on their channel finishes.</summary>
    public async Task LeaveMessageAsync(string channelId, int seconds, byte[] audio)
    {
        var name = _liveRecordings.Single(r => r.Value == channelId).Key;
        _liveRecordings.TryRemove(name, out _);
        _storedRecordings[name] = audio;
        await EmitAsync("RecordingFinished", new JsonObject
        {
            ["recording"] = new JsonObject { ["name"] = name, ["format"] = "wav", ["state"] = "done", ["duration"] = seconds, ["target_uri"] = "channel:" + channelId },
        });
    }

    /// <summary>Drops the event WebSocket abruptly (network cut, Asterisk restart).</summary>
    public async Task DropAsync()
    {
        Down = true;
        _socket?.Abort();
        await _socketClosed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task DestroyAsync(string channelId, int cause, string causeText)
    {
        if (!_channels.TryRemove(channelId, out var channel))
        {
            return;
        }

        foreach (var members in _bridges.Values)
        {
            lock (members)
            {
                members.Remove(channelId);
            }
        }

        if (channel.InStasis)
        {
            await EmitAsync("StasisEnd", new JsonObject { ["channel"] = channel.Json() });
        }

        await EmitAsync("ChannelDestroyed", new JsonObject { ["cause"] = cause, ["cause_txt"] = causeText, ["channel"] = channel.Json() });
    }

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes(Username + ":" + Password));
        return header["Basic ".Length..] == expected;
    }

    private string Timestamp() => _clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture) + "+0000";

    private async Task EmitAsync(string type, JsonObject body)
    {
        body["type"] = type;
        body["timestamp"] = Timestamp();
        body["application"] = "supportplatform";
        body["asterisk_id"] = "08:00:27:aa:bb:cc";
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        await _send.WaitAsync();
        try
        {
            if (_socket is { State: WebSocketState.Open } socket)
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
            // The application is gone: like Asterisk, the event is not kept.
        }
        finally
        {
            _send.Release();
        }
    }

    private void Map()
    {
        _app.Map("/ari/events", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest || context.Request.Query["app"] != "supportplatform")
            {
                context.Response.StatusCode = 400;
                return;
            }

            if (Down)
            {
                RefusedConnections++;
                context.Response.StatusCode = 503;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            _socketClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _socket = socket;
            Connections++;
            var buffer = new byte[1024];
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                }
            }
            catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
            {
            }
            finally
            {
                _socket = null;
                _socketClosed.TrySetResult();
            }
        });

        _app.MapGet("/ari/channels", () => Results.Json(_channels.Values.Select(c => c.Json()).ToList()));
        _app.MapPost("/ari/channels", (HttpRequest request) =>
        {
            Log(request);
            var id = (string?)request.Query["channelId"] ?? Guid.NewGuid().ToString("N");
            var endpoint = (string?)request.Query["endpoint"];
            if (string.IsNullOrEmpty(endpoint) || request.Query["app"] != "supportplatform")
            {
                return Results.Json(new { message = "Endpoint and app are required" }, statusCode: 400);
            }

            var channel = new Channel(id, endpoint + "-" + id, (string?)request.Query["callerId"] ?? "", "", "s") { Endpoint = endpoint, AppArgs = (string?)request.Query["appArgs"] ?? "", State = "Down" };
            _channels[id] = channel;
            return Results.Json(channel.Json());
        });
        _app.MapDelete("/ari/channels/{id}", async (string id, HttpRequest request) =>
        {
            Log(request);
            if (!_channels.ContainsKey(id))
            {
                return Results.Json(new { message = "Channel not found" }, statusCode: 404);
            }

            await DestroyAsync(id, 16, "Normal Clearing");
            return Results.NoContent();
        });
        _app.MapPost("/ari/channels/{id}/answer", (string id, HttpRequest request) =>
        {
            Log(request);
            if (!_channels.TryGetValue(id, out var channel))
            {
                return Results.Json(new { message = "Channel not found" }, statusCode: 404);
            }

            channel.State = "Up";
            return Results.NoContent();
        });
        _app.MapMethods("/ari/channels/{id}/ring", ["POST", "DELETE"], (string id, HttpRequest request) =>
        {
            Log(request);
            return _channels.ContainsKey(id) ? Results.NoContent() : Results.Json(new { message = "Channel not found" }, statusCode: 404);
        });
        _app.MapPost("/ari/channels/{id}/play", async (string id, HttpRequest request) =>
        {
            Log(request);
            if (!_channels.ContainsKey(id))
            {
                return Results.Json(new { message = "Channel not found" }, statusCode: 404);
            }

            var playback = new JsonObject { ["id"] = (string?)request.Query["playbackId"], ["media_uri"] = (string?)request.Query["media"], ["target_uri"] = "channel:" + id, ["state"] = "playing" };
            await EmitAsync("PlaybackStarted", new JsonObject { ["playback"] = playback.DeepClone() });
            _ = Task.Run(async () =>
            {
                await Task.Delay(50);
                playback["state"] = "done";
                await EmitAsync("PlaybackFinished", new JsonObject { ["playback"] = playback });
            });
            return Results.Json(playback, statusCode: 201);
        });
        _app.MapPost("/ari/channels/{id}/record", async (string id, HttpRequest request) =>
        {
            Log(request);
            if (!_channels.ContainsKey(id))
            {
                return Results.Json(new { message = "Channel not found" }, statusCode: 404);
            }

            var name = (string?)request.Query["name"] ?? "";
            _liveRecordings[name] = id;
            var recording = new JsonObject { ["name"] = name, ["format"] = (string?)request.Query["format"], ["state"] = "recording", ["target_uri"] = "channel:" + id };
            await EmitAsync("RecordingStarted", new JsonObject { ["recording"] = recording.DeepClone() });
            return Results.Json(recording, statusCode: 201);
        });
        _app.MapPost("/ari/bridges", (HttpRequest request) =>
        {
            Log(request);
            var id = (string?)request.Query["bridgeId"] ?? Guid.NewGuid().ToString("N");
            _bridges.TryAdd(id, []);
            return Results.Json(new { id, technology = "simple_bridge", bridge_type = "mixing", channels = BridgeMembers(id) });
        });
        _app.MapPost("/ari/bridges/{id}/addChannel", (string id, HttpRequest request) =>
        {
            Log(request);
            if (!_bridges.TryGetValue(id, out var members))
            {
                return Results.Json(new { message = "Bridge not found" }, statusCode: 404);
            }

            var channels = ((string?)request.Query["channel"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
            if (channels.Any(c => !_channels.TryGetValue(c, out var channel) || !channel.InStasis))
            {
                return Results.Json(new { message = "Channel not in Stasis application" }, statusCode: 422);
            }

            lock (members)
            {
                members.AddRange(channels);
            }

            return Results.NoContent();
        });
        _app.MapDelete("/ari/bridges/{id}", (string id, HttpRequest request) =>
        {
            Log(request);
            return _bridges.TryRemove(id, out _) ? Results.NoContent() : Results.Json(new { message = "Bridge not found" }, statusCode: 404);
        });
        _app.MapGet("/ari/recordings/live/{name}", (string name) =>
            _liveRecordings.ContainsKey(name) ? Results.Json(new { name, state = "recording" }) : Results.Json(new { message = "Recording not found" }, statusCode: 404));
        _app.MapGet("/ari/recordings/stored/{name}/file", (string name, HttpRequest request) =>
        {
            Log(request);
            return _storedRecordings.TryGetValue(name, out var audio) ? Results.Bytes(audio, "audio/wav") : Results.Json(new { message = "Recording not found" }, statusCode: 404);
        });
    }

    private void Log(HttpRequest request) => Requests.Enqueue($"{request.Method} {request.Path.Value![4..]}{request.QueryString}");

    private sealed class Channel(string id, string name, string number, string callerName, string exten)
    {
        public string Id { get; } = id;

        public string State { get; set; } = "Down";

        public bool InStasis { get; set; }

        public string? Endpoint { get; init; }

        public string AppArgs { get; init; } = "";

        public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

        public JsonObject Json() => new()
        {
            ["id"] = Id,
            ["name"] = name,
            ["state"] = State,
            ["caller"] = new JsonObject { ["name"] = callerName, ["number"] = number },
            ["connected"] = new JsonObject { ["name"] = "", ["number"] = "" },
            ["accountcode"] = "",
            ["dialplan"] = new JsonObject { ["context"] = "from-trunk", ["exten"] = exten, ["priority"] = 1 },
            ["creationtime"] = Created.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture) + "+0000",
            ["language"] = "en",
        };
    }
}
