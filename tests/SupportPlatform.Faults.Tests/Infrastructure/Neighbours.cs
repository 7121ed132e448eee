using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SupportPlatform.Faults.Tests.Infrastructure;

/// <summary>
/// An SMTP server on loopback that can stall: while <see cref="Stalled"/> it accepts connections and never says a word
/// (a hung relay); otherwise it speaks just enough SMTP (RFC 5321: greeting, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
/// to take messages. Hand-written because the point is misbehaving on purpose, which a real server library does not do.
/// </summary>
internal sealed class StallingSmtpServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;

    public StallingSmtpServer()
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = AcceptAsync();
    }

    public int Port { get; }

    public volatile bool Stalled = true;

    /// <summary>Connections accepted while stalled.</summary>
    public int StalledConnections => stalledConnections;

    private int stalledConnections;

    /// <summary>Every message taken: (recipients, raw text).</summary>
    public ConcurrentQueue<(string[] To, string Data)> Received { get; } = new();

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            if (Stalled)
            {
                Interlocked.Increment(ref stalledConnections);
                await Task.Delay(Timeout.Infinite, stop.Token); // the client gives up first
            }

            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.Latin1);
            async Task Say(string line) => await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), stop.Token);
            await Say("220 localhost ESMTP fault-test");
            var to = new List<string>();
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                    case "HELO":
                        await Say("250 localhost");
                        break;
                    case "MAIL":
                        to.Clear();
                        await Say("250 OK");
                        break;
                    case "RCPT":
                        to.Add(line[(line.IndexOf('<', StringComparison.Ordinal) + 1)..line.LastIndexOf('>')]);
                        await Say("250 OK");
                        break;
                    case "DATA":
                        await Say("354 go ahead");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                        }

                        Received.Enqueue(([.. to], data.ToString()));
                        await Say("250 queued");
                        break;
                    case "QUIT":
                        await Say("221 bye");
                        return;
                    default:
                        await Say("250 OK");
                        break;
                }
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>
/// A TCP proxy on loopback in front of a real server that can cut every open connection at once (<see cref="DropAll"/>),
/// as a server restart or a NAT timeout does to an IMAP session in the middle of IDLE or a fetch.
/// </summary>
internal sealed class DroppingProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<TcpClient, TcpClient> pairs = new();
    private readonly int target;
    private readonly Task accepting;

    public DroppingProxy(int targetPort)
    {
        target = targetPort;
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = AcceptAsync();
    }

    public int Port { get; }

    public int Dropped => dropped;

    private int dropped;

    public void DropAll()
    {
        foreach (var (inbound, outbound) in pairs)
        {
            if (pairs.TryRemove(inbound, out _))
            {
                inbound.Client.Close(0); // RST, no goodbye
                outbound.Dispose();
                Interlocked.Increment(ref dropped);
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, target, stop.Token);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            pairs[inbound] = outbound;
            _ = PumpAsync(inbound, outbound);
        }
    }

    private async Task PumpAsync(TcpClient inbound, TcpClient outbound)
    {
        try
        {
            var a = inbound.GetStream().CopyToAsync(outbound.GetStream(), stop.Token);
            var b = outbound.GetStream().CopyToAsync(inbound.GetStream(), stop.Token);
            await Task.WhenAny(a, b);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (pairs.TryRemove(inbound, out _))
            {
                inbound.Dispose();
                outbound.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        DropAll();
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
