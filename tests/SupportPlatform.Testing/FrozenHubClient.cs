using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace SupportPlatform.Testing;

/// <summary>
/// A SignalR client (JSON protocol spoken by hand) that subscribes to the queue and then stops reading, as a frozen
/// browser tab would, but keeps sending pings so the server cannot tell it is gone. Its socket's receive buffer is
/// tiny so that back-pressure reaches the server quickly. Used by the live-queue tests and benchmark.
/// </summary>
public sealed class FrozenHubClient : IDisposable
{
    private const char Separator = '\u001e';
    private readonly ClientWebSocket socket;
    private readonly CancellationTokenSource stop = new();

    private FrozenHubClient(ClientWebSocket socket) => this.socket = socket;

    public static async Task<FrozenHubClient> ConnectAsync(Uri baseAddress, string token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var raw = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                await raw.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(raw, ownsSocket: true);
            },
        };
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        var url = new UriBuilder(new Uri(baseAddress, "/hubs/live")) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws" }.Uri;
        await socket.ConnectAsync(url, new HttpMessageInvoker(handler), CancellationToken.None);
        var client = new FrozenHubClient(socket);
        await client.SendAsync("{\"protocol\":\"json\",\"version\":1}");
        await client.ReadUntilAsync("{}");
        await client.SendAsync("{\"type\":1,\"invocationId\":\"1\",\"target\":\"SubscribeQueue\",\"arguments\":[null]}");
        await client.ReadUntilAsync("\"type\":3");
        _ = client.PingAsync();
        return client;
    }

    /// <summary>Bytes read by <see cref="WaitClosedAsync"/>: what had been waiting for this client.</summary>
    public long Drained { get; private set; }

    /// <summary>Stops the pings, so that the client no longer looks alive.</summary>
    public void StopPinging() => stop.Cancel();

    /// <summary>Reads (and discards) everything the server had sent; true when the server closed the connection within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cts.Token);
                Drained += result.Count;
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (WebSocketException)
        {
            // The server aborted the TCP connection instead of a close handshake: closed all the same.
            return true;
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        socket.Abort();
        socket.Dispose();
        stop.Dispose();
    }

    private async Task PingAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), stop.Token);
                await SendAsync("{\"type\":6}");
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    private Task SendAsync(string message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message + Separator), WebSocketMessageType.Text, true, stop.Token);

    private async Task ReadUntilAsync(string marker)
    {
        var buffer = new byte[16 * 1024];
        var text = new StringBuilder();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!text.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }
}
