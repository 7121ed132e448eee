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

    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
