using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Host.Hosting;

/// <summary>
/// The host's own settings (section <c>SupportPlatform</c>), read and validated once at start.
/// Every problem names the configuration key, the value found and what is expected, so an
/// administrator can fix appsettings.json or the environment variable without reading code.
/// </summary>
internal sealed record PlatformConfiguration(
    string DataPath,
    DatabaseSettings Database,
    ClusterSettings Cluster,
    string PluginsPath,
    IReadOnlyList<IPAddress> TrustedProxies,
    IReadOnlyList<System.Net.IPNetwork> TrustedNetworks)
{
    public const string Section = "SupportPlatform";

    public static PlatformConfiguration Load(IConfiguration configuration, string contentRoot)
    {
        var errors = new List<string>();
        var section = configuration.GetSection(Section);

        var dataPath = section["DataPath"];
        if (string.IsNullOrWhiteSpace(dataPath))
        {
            dataPath = "data";
        }

        dataPath = Path.GetFullPath(dataPath, contentRoot);

        var database = ReadDatabase(section.GetSection("Database"), dataPath, errors);
        var cluster = ReadCluster(section.GetSection("Cluster"), database?.Provider, errors);

        var pluginsPath = section["Plugins:Path"];
        pluginsPath = string.IsNullOrWhiteSpace(pluginsPath)
            ? Path.Combine(dataPath, "plugins")
            : Path.GetFullPath(pluginsPath, contentRoot);

        var (proxies, networks) = ReadTrustedProxies(section.GetSection("ReverseProxy"), errors);

        if (errors.Count > 0)
        {
            throw new PlatformConfigurationException(errors);
        }

        return new PlatformConfiguration(dataPath, database!, cluster!, pluginsPath, proxies, networks);
    }

    private static DatabaseSettings? ReadDatabase(IConfigurationSection section, string dataPath, List<string> errors)
    {
        var providerText = section["Provider"];
        var connectionString = section["ConnectionString"];
        DatabaseProvider provider;
        if (string.IsNullOrWhiteSpace(providerText))
        {
            provider = string.IsNullOrWhiteSpace(connectionString) ? DatabaseProvider.Sqlite : DatabaseProvider.PostgreSql;
        }
        else if (!Enum.TryParse(providerText, ignoreCase: true, out provider) || !Enum.IsDefined(provider))
        {
            errors.Add(Problem(section, "Provider", providerText, "'Sqlite' (embedded, the default) or 'PostgreSql'"));
            return null;
        }

        if (provider == DatabaseProvider.Sqlite)
        {
            return string.IsNullOrWhiteSpace(connectionString)
                ? DatabaseSettings.Embedded(dataPath)
                : new DatabaseSettings(DatabaseProvider.Sqlite, connectionString);
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            errors.Add($"{section.Path}:ConnectionString is missing: Provider is PostgreSql, so a connection string is expected, "
                + "for example 'Host=db.example;Database=supportplatform;Username=supportplatform;Password=...'.");
            return null;
        }

        try
        {
            _ = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException ex)
        {
            errors.Add($"{section.Path}:ConnectionString is not a valid connection string ({ex.Message}); expected "
                + "'Key=Value;...' pairs such as 'Host=db.example;Database=supportplatform;Username=...;Password=...'.");
            return null;
        }

        return new DatabaseSettings(DatabaseProvider.PostgreSql, connectionString);
    }

    private static ClusterSettings? ReadCluster(IConfigurationSection section, DatabaseProvider? provider, List<string> errors)
    {
        var clusterId = Identifier(section, "ClusterId", "supportplatform", errors);
        var serviceId = Identifier(section, "ServiceId", "supportplatform", errors);
        var siloPort = Port(section, "SiloPort", 11111, errors);
        var gatewayPort = Port(section, "GatewayPort", 30000, errors);

        var addressText = section["AdvertisedAddress"];
        var address = IPAddress.Loopback;
        if (!string.IsNullOrWhiteSpace(addressText) && !IPAddress.TryParse(addressText, out address!))
        {
            errors.Add(Problem(section, "AdvertisedAddress", addressText,
                "an IP address other silos can reach this one at, such as 10.0.0.5 (default 127.0.0.1)"));
        }

        if (siloPort is not null && siloPort == gatewayPort)
        {
            errors.Add($"{section.Path}:SiloPort and {section.Path}:GatewayPort are both {siloPort}; they must differ.");
        }

        if (provider == DatabaseProvider.Sqlite && address is not null && !IPAddress.IsLoopback(address))
        {
            errors.Add($"{section.Path}:AdvertisedAddress is {address}, but the embedded SQLite database runs a single node on loopback; "
                + "configure SupportPlatform:Database:ConnectionString (PostgreSQL) to form a cluster.");
        }

        return clusterId is null || serviceId is null || siloPort is null || gatewayPort is null || address is null
            ? null
            : new ClusterSettings(clusterId, serviceId, siloPort.Value, gatewayPort.Value, address);
    }

    private static string? Identifier(IConfigurationSection section, string key, string fallback, List<string> errors)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (value.Length > 100 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add(Problem(section, key, value, "1 to 100 letters, digits, '-', '_' or '.'"));
            return null;
        }

        return value;
    }

    /// <summary>
    /// <c>ReverseProxy:TrustedProxies</c>: the addresses (<c>10.0.0.5</c>) or networks (<c>10.0.0.0/24</c>) of the reverse
    /// proxies whose <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c> are believed; a list, or one comma-separated string.
    /// </summary>
    private static (IReadOnlyList<IPAddress> Proxies, IReadOnlyList<System.Net.IPNetwork> Networks) ReadTrustedProxies(IConfigurationSection section, List<string> errors)
    {
        var entries = section.GetSection("TrustedProxies").GetChildren().Select(c => c.Value).ToList();
        if (section["TrustedProxies"] is { Length: > 0 } single)
        {
            entries.AddRange(single.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }

        var proxies = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in entries.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e!.Trim()))
        {
            if (entry.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (!entry.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(entry, out var address))
            {
                proxies.Add(address);
            }
            else
            {
                errors.Add(Problem(section, "TrustedProxies", entry, "an IP address (10.0.0.5) or a network in CIDR form (10.0.0.0/24)"));
            }
        }

        return (proxies, networks);
    }

    private static int? Port(IConfigurationSection section, string key, int fallback, List<string> errors)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            errors.Add(Problem(section, key, value, "a TCP port number from 1 to 65535"));
            return null;
        }

        return port;
    }

    private static string Problem(IConfigurationSection section, string key, string? value, string expected) =>
        $"{section.Path}:{key} is '{value}', which is not valid; expected {expected}.";
}

/// <summary>Thrown at start when the configuration is invalid; the message lists every problem found.</summary>
internal sealed class PlatformConfigurationException(IReadOnlyList<string> problems) : SupportPlatform.Core.PlatformSettingsException(problems);
