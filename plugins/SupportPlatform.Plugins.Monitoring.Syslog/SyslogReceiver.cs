using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Syslog;

/// <summary>
/// Listens for syslog over UDP (one message per datagram, RFC 5426) and TCP (RFC 6587: octet counting, or one message
/// per line), hands each message to the watch rules, and sends raised alerts to the platform through the outbox.
/// </summary>
internal sealed class SyslogReceiver(
    SyslogSettings settings,
    SecurityWatch watch,
    AlertOutbox outbox,
    SyslogStatistics statistics,
    IMonitoringAlertSink sink,
    TimeProvider time,
    ILogger<SyslogReceiver> logger) : IPluginBackgroundService
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var tasks = new List<Task> { outbox.RunAsync(sink, cancellationToken), SweepAsync(cancellationToken) };
        if (settings.UdpPort != 0)
        {
            var udp = new UdpClient(new IPEndPoint(settings.BindAddress, settings.UdpPort));
            statistics.UdpEndpoint = (IPEndPoint)udp.Client.LocalEndPoint!;
            tasks.Add(ReceiveUdpAsync(udp, cancellationToken));
        }

        if (settings.TcpPort != 0)
        {
            var tcp = new TcpListener(settings.BindAddress, settings.TcpPort);
            tcp.Start();
            statistics.TcpEndpoint = (IPEndPoint)tcp.LocalEndpoint;
            tasks.Add(AcceptTcpAsync(tcp, cancellationToken));
        }

        logger.LogInformation("Syslog receiver listening on udp {Udp} and tcp {Tcp} with {Rules} rule(s)",
            statistics.UdpEndpoint?.ToString() ?? "off", statistics.TcpEndpoint?.ToString() ?? "off", settings.Rules.Count);
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    internal void Handle(ReadOnlySpan<byte> data, IPAddress sender)
    {
        var message = SyslogMessage.Parse(data, sender.ToString(), time.GetUtcNow());
        Interlocked.Increment(ref statistics.Received);
        if (watch.Observe(message, time.GetUtcNow()) > 0)
        {
            Interlocked.Increment(ref statistics.Matched);
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            watch.Sweep(time.GetUtcNow());
        }
    }

    private async Task ReceiveUdpAsync(UdpClient udp, CancellationToken cancellationToken)
    {
        using (udp)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                UdpReceiveResult datagram;
                try
                {
                    datagram = await udp.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException exception)
                {
                    // ICMP port unreachable from an earlier send and the like: not fatal to a receiver.
                    logger.LogDebug(exception, "Syslog UDP receive error");
                    continue;
                }

                if (!settings.Allows(datagram.RemoteEndPoint.Address))
                {
                    Interlocked.Increment(ref statistics.Refused);
                    continue;
                }

                var buffer = datagram.Buffer.AsSpan();
                if (buffer.Length > settings.MaxMessageBytes)
                {
                    Interlocked.Increment(ref statistics.Truncated);
                    buffer = buffer[..settings.MaxMessageBytes];
                }

                SafeHandle(buffer, datagram.RemoteEndPoint.Address);
            }
        }
    }

    private void SafeHandle(ReadOnlySpan<byte> data, IPAddress sender)
    {
        try
        {
            Handle(data, sender);
        }
        catch (Exception exception)
        {
            // Never let one odd message stop the receiver; it is counted and logged.
            Interlocked.Increment(ref statistics.Failed);
            logger.LogWarning(exception, "A syslog message from {Sender} could not be handled", sender);
        }
    }

    private async Task AcceptTcpAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(settings.MaxConnections);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                var sender = ((IPEndPoint)client.Client.RemoteEndPoint!).Address;
                if (!settings.Allows(sender) || !slots.Wait(0))
                {
                    Interlocked.Increment(ref statistics.Refused);
                    client.Dispose();
                    continue;
                }

                _ = Task.Run(async () =>
                {
                    try
                    {
                        using (client)
                        {
                            await ReadConnectionAsync(client.GetStream(), sender, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
                    {
                        // The sender went away, or the plugin stops.
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None);
            }
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>
    /// RFC 6587 framing: a frame that starts with a digit is "LENGTH SP MESSAGE" (octet counting); otherwise a message
    /// ends at LF (non-transparent framing). Oversized frames are cut at <see cref="SyslogSettings.MaxMessageBytes"/>.
    /// </summary>
    internal async Task ReadConnectionAsync(Stream stream, IPAddress sender, CancellationToken cancellationToken)
    {
        var max = settings.MaxMessageBytes;
        var buffer = new byte[max + 16];
        var count = 0;
        var skip = 0L; // bytes still to discard: the rest of an oversized frame (-1: up to the next LF)
        while (true)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (count > 0 && skip == 0 && !char.IsAsciiDigit((char)buffer[0]))
                {
                    SafeHandle(buffer.AsSpan(0, count), sender);
                }

                return;
            }

            count += read;
            var start = 0;
            while (start < count)
            {
                if (skip > 0)
                {
                    var dropped = (int)Math.Min(skip, count - start);
                    start += dropped;
                    skip -= dropped;
                    continue;
                }

                if (skip < 0)
                {
                    var lf = Array.IndexOf(buffer, (byte)'\n', start, count - start);
                    if (lf < 0)
                    {
                        start = count;
                        break;
                    }

                    start = lf + 1;
                    skip = 0;
                    continue;
                }

                var frame = buffer.AsSpan(start, count - start);
                if (char.IsAsciiDigit((char)frame[0]))
                {
                    var space = frame.IndexOf((byte)' ');
                    if (space < 0)
                    {
                        if (frame.Length > 10)
                        {
                            throw new IOException("bad octet count");
                        }

                        break;
                    }

                    if (space > 10 || !long.TryParse(frame[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                    {
                        throw new IOException("bad octet count");
                    }

                    if (length > max)
                    {
                        // Handle the first max bytes once they are here (the buffer holds them with the count), drop the rest.
                        var body = frame.Length - space - 1;
                        if (body < max)
                        {
                            break;
                        }

                        Interlocked.Increment(ref statistics.Truncated);
                        SafeHandle(frame.Slice(space + 1, max), sender);
                        start += space + 1 + max;
                        skip = length - max;
                        continue;
                    }

                    if (frame.Length - space - 1 < length)
                    {
                        break;
                    }

                    SafeHandle(frame.Slice(space + 1, (int)length), sender);
                    start += space + 1 + (int)length;
                    continue;
                }

                var end = frame.IndexOf((byte)'\n');
                if (end < 0)
                {
                    if (frame.Length >= max)
                    {
                        Interlocked.Increment(ref statistics.Truncated);
                        SafeHandle(frame[..max], sender);
                        start += frame.Length;
                        skip = -1;
                    }

                    break;
                }

                if (end > 0)
                {
                    SafeHandle(frame[..end], sender);
                }

                start += end + 1;
            }

            // Keep the unfinished frame at the front of the buffer.
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, count - start);
                count -= start;
            }
        }
    }
}

/// <summary>Counters for the health report and the tests.</summary>
internal sealed class SyslogStatistics
{
    public long Received;
    public long Matched;
    public long Refused;
    public long Truncated;
    public long Failed;

    public IPEndPoint? UdpEndpoint { get; set; }

    public IPEndPoint? TcpEndpoint { get; set; }
}
