using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
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

    private readonly TimeProvider? clock;
    private readonly Action<IServiceCollection>? services;
    private PlatformUsers? users;

    /// <param name="dataPath">The data folder; a temporary one (deleted on dispose) when null.</param>
    /// <param name="postgres">A PostgreSQL connection string; the embedded database when null.</param>
    /// <param name="extra">More configuration settings.</param>
    /// <param name="clock">
    /// A clock (e.g. FakeTimeProvider) for everything the product schedules: grains, grain timers, the deadline
    /// scheduler. Orleans' own background work (membership, messaging, reminders) stays on the system clock, as
    /// ORLEANS.md recommends, so the silo stays healthy while the test moves time.
    /// </param>
    /// <param name="services">More service registrations (test doubles such as a recording mail outbox).</param>
    public PlatformFactory(
        string? dataPath = null, string? postgres = null, IDictionary<string, string?>? extra = null, TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    {
        this.clock = clock;
        this.services = services;
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

        foreach (var (key, value) in PlatformUsers.Settings)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    public string DataPath { get; }

    /// <summary>Signed-in callers: the bootstrap admin and helpers that create staff and client users with API tokens.</summary>
    // The helpers' clients keep the sign-in cookie themselves (SessionCookies): a host on a fake clock issues cookies
    // that expire by its time, and HttpClient's own cookie container would drop them by the real time.
    public PlatformUsers Users => users ??= new PlatformUsers(() => CreateDefaultClient(new SessionCookies()));

    /// <summary>A client with a new staff user's API token (<paramref name="role"/>: admin, senior or agent).</summary>
    public Task<HttpClient> CreateStaffClientAsync(string role = "admin", string? id = null, string? name = null) => Users.CreateStaffClientAsync(role, id, name);

    /// <summary>A client with a new user of client account <paramref name="accountId"/> (which must exist).</summary>
    public Task<HttpClient> CreateClientUserClientAsync(string accountId, string? id = null, string? name = null, bool manager = false) =>
        Users.CreateClientUserClientAsync(accountId, id, name, manager);

    /// <summary>A client that sends <paramref name="token"/> as its bearer token.</summary>
    public HttpClient CreateClient(string token) => Users.WithToken(token);

    public static int FreePort() => LocalSystem.FreeLoopbackPort();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (clock is not null)
        {
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton(clock);
                services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            });
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services);
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
