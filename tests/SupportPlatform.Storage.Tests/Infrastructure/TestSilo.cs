using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Tests.Infrastructure;

/// <summary>A real in-process silo (generic host + UseOrleans) on the storage module's configuration, with real TCP ports.</summary>
internal static class TestSilo
{
    public const string ClusterId = "sp-test-cluster";

    public static ClusterSettings NewCluster(string serviceId) =>
        new(ClusterId, serviceId, FreePort(), FreePort(), IPAddress.Loopback);

    public static async Task<IHost> StartAsync(DatabaseSettings settings, ClusterSettings cluster)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.UseOrleans(silo =>
        {
            silo.UseSupportPlatformStorage(settings, cluster);
            // Faster membership for tests: probe and publish more often than the production defaults.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            });
        });
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return host;
    }

    public static async Task StopAsync(IHost host)
    {
        await host.StopAsync().ConfigureAwait(false);
        host.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
