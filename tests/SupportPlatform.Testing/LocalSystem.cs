using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SupportPlatform.Testing;

/// <summary>What the test servers (PostgreSQL, Dovecot) and hosts ask of the local machine.</summary>
public static class LocalSystem
{
    /// <summary>Whether a process with this id is running (a test server left by a killed test run is not).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Whether the tests run as root (servers that refuse root then run as another user).</summary>
    public static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status")
                .FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))
                ?.Split('\t', StringSplitOptions.RemoveEmptyEntries) is [_, "0", ..];
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback TCP port that was free a moment ago, below the kernel's ephemeral range. A port the kernel picks (port
    /// 0) comes from that range (32768-60999 here), from which every outgoing connection also takes its local port; with
    /// many tests connecting to PostgreSQL and to each other, such a port was taken by a client socket before the server
    /// bound it ("address already in use", seen in the suite). Ports below the range are never given to client sockets.
    /// The suite runs several test assemblies at once, each in its own process, and two of them could pick the same
    /// port between one's probe and its server's bind (seen in CI: an Orleans silo failed to bind). Each port handed out
    /// is therefore also claimed for the life of this process by an exclusive lock on a file named after it, which the
    /// other test processes respect; a killed process's locks go with it.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        var ceiling = Math.Min(EphemeralStart(), 32_000);
        for (var i = 0; ceiling > 12_000 && i < 500; i++)
        {
            var port = Random.Shared.Next(10_000, ceiling);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port) || !ClaimAcrossProcesses(port))
                {
                    continue;
                }
            }

            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try another.
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static readonly List<FileStream> Claims = [];

    /// <summary>
    /// Takes an exclusive lock (flock, which .NET uses for <see cref="FileShare.None"/> on Linux) on a file named after
    /// the port, kept open until the process ends, so that no other test process hands the same port out.
    /// </summary>
    private static bool ClaimAcrossProcesses(int port)
    {
        var directory = Path.Combine(Path.GetTempPath(), "supportplatform-test-ports");
        try
        {
            Directory.CreateDirectory(directory);
            Claims.Add(new FileStream(Path.Combine(directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            return true;
        }
        catch (IOException)
        {
            return false; // Claimed by another test process.
        }
        catch (UnauthorizedAccessException)
        {
            return false; // A file left by another user: leave that port alone.
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux), or 32768.</summary>
    private static int EphemeralStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
