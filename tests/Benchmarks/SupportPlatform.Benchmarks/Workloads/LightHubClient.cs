using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// A SignalR client for the live-queue benchmark that speaks the JSON hub protocol over WebSockets by hand and reads
/// only the <c>at</c> of each <c>queueChanged</c>. The benchmark runs 1,000 clients on the same two cores as the
/// server; with the full .NET client (which deserialises every change and dispatches it through a handler) the
/// clients' own CPU showed up as server latency. Browsers do that work on their own machines.
/// </summary>
internal sealed class LightHubClient : IAsyncDisposable
{
    private const byte Separator = 0x1e;
    private static readonly byte[] QueueChanged = "\"target\":\"queueChanged\""u8.ToArray();
    private static readonly byte[] AtKey = "\"at\":"u8.ToArray();
    private readonly ClientWebSocket socket;
    private readonly Action<DateTimeOffset> onChange;
    private readonly CancellationTokenSource stop = new();
    private Task? receiving;
    private Task? pinging;

    private LightHubClient(ClientWebSocket socket, Action<DateTimeOffset> onChange)
    {
        this.socket = socket;
        this.onChange = onChange;
    }

    /// <summary>Connects, subscribes to the queue and starts reading.</summary>
    public static async Task<LightHubClient> ConnectAsync(Uri baseAddress, string token, HttpMessageInvoker invoker, Action<DateTimeOffset> onChange, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        var url = new UriBuilder(new Uri(baseAddress, "/hubs/live")) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws" }.Uri;
        await socket.ConnectAsync(url, invoker, cancellationToken);
        var client = new LightHubClient(socket, onChange);
        await client.SendAsync("{\"protocol\":\"json\",\"version\":1}", cancellationToken);
        await client.SendAsync("{\"type\":1,\"invocationId\":\"1\",\"target\":\"SubscribeQueue\",\"arguments\":[null]}", cancellationToken);
        client.receiving = client.ReceiveLoopAsync();
        client.pinging = client.PingLoopAsync();
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        socket.Abort();
        await Task.WhenAll(receiving ?? Task.CompletedTask, pinging ?? Task.CompletedTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        socket.Dispose();
        stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var result = await socket.ReceiveAsync(buffer.AsMemory(filled), stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                filled += result.Count;
                var start = 0;
                int end;
                while ((end = Array.IndexOf(buffer, Separator, start, filled - start)) >= 0)
                {
                    Handle(buffer.AsSpan(start, end - start));
                    start = end + 1;
                }

                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private void Handle(ReadOnlySpan<byte> record)
    {
        if (record.IndexOf(QueueChanged) < 0)
        {
            return;
        }

        var at = record.IndexOf(AtKey);
        if (at < 0)
        {
            return;
        }

        var value = record[(at + AtKey.Length)..];
        var close = value[1..].IndexOf((byte)'"');
        var reader = new Utf8JsonReader(value[..(close + 2)]);
        if (reader.Read() && reader.TryGetDateTimeOffset(out var stamp))
        {
            onChange(stamp);
        }
    }

    private async Task PingLoopAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), stop.Token);
                await SendAsync("{\"type\":6}", stop.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private Task SendAsync(string message, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message + (char)Separator), WebSocketMessageType.Text, true, cancellationToken);
}
