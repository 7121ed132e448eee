using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SupportPlatform.Testing;

namespace SupportPlatform.Testing.Host;

/// <summary>
/// The real host (Program) in-process: real Orleans silo, real storage, a data folder of its own and free ports,
/// so several can run side by side. Dispose stops the host; the data folder is kept for a restart unless owned.
/// </summary>
public sealed class PlatformFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;
    private readonly TempDirectory? ownedData;

    public PlatformFactory(string? dataPath = null, string? postgres = null, IDictionary<string, string?>? extra = null)
    {
        if (dataPath is null)
        {
            ownedData = new TempDirectory("sp-host-");
            dataPath = ownedData.Path;
        }

        DataPath = dataPath;
        settings = new Dictionary<string, string?>
        {
            ["SupportPlatform:DataPath"] = dataPath,
            ["SupportPlatform:Cluster:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SupportPlatform:Cluster:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SupportPlatform:Cluster:ServiceId"] = "sp-tests",
            ["SupportPlatform:Cluster:ClusterId"] = "sp-tests",
        };
        if (postgres is not null)
        {
            settings["SupportPlatform:Database:ConnectionString"] = postgres;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    public string DataPath { get; }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            ownedData?.Dispose();
        }
    }
}
