using Microsoft.Extensions.Configuration;
using SupportPlatform.Host.Hosting;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Host.Tests.Hosting;

public sealed class PlatformConfigurationTests
{
    private static PlatformConfiguration Load(params (string Key, string? Value)[] settings) =>
        PlatformConfiguration.Load(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value))).Build(),
            "/srv/sp");

    [Fact]
    public void Load_NothingConfigured_EmbeddedSqliteUnderDataFolder()
    {
        var config = Load();

        Assert.Equal(DatabaseProvider.Sqlite, config.Database.Provider);
        Assert.Equal("/srv/sp/data", config.DataPath);
        Assert.Contains("/srv/sp/data/supportplatform.db", config.Database.ConnectionString, StringComparison.Ordinal);
        Assert.Equal("/srv/sp/data/plugins", config.PluginsPath);
        Assert.Equal(11111, config.Cluster.SiloPort);
        Assert.Equal(30000, config.Cluster.GatewayPort);
    }

    [Fact]
    public void Load_ConnectionStringOnly_PostgreSql()
    {
        var config = Load(("SupportPlatform:Database:ConnectionString", "Host=db;Database=sp;Username=sp"));

        Assert.Equal(DatabaseProvider.PostgreSql, config.Database.Provider);
        Assert.Equal("Host=db;Database=sp;Username=sp", config.Database.ConnectionString);
    }

    [Theory]
    [InlineData("SupportPlatform:Cluster:SiloPort", "abc", "a TCP port number from 1 to 65535")]
    [InlineData("SupportPlatform:Cluster:GatewayPort", "70000", "a TCP port number from 1 to 65535")]
    [InlineData("SupportPlatform:Database:Provider", "Oracle", "'Sqlite' (embedded, the default) or 'PostgreSql'")]
    [InlineData("SupportPlatform:Cluster:AdvertisedAddress", "not-an-ip", "an IP address")]
    [InlineData("SupportPlatform:Cluster:ClusterId", "has spaces", "letters, digits")]
    [InlineData("SupportPlatform:ReverseProxy:TrustedProxies", "10.0.0.0/99", "a network in CIDR form")]
    public void Load_BadValue_MessageNamesKeyValueAndExpectation(string key, string value, string expected)
    {
        var ex = Assert.Throws<PlatformConfigurationException>(() => Load((key, value)));

        var problem = Assert.Single(ex.Problems);
        Assert.StartsWith(key + " is '" + value + "'", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TrustedProxiesListAndString_AddressesAndNetworks()
    {
        var list = Load(("SupportPlatform:ReverseProxy:TrustedProxies:0", "10.0.0.5"), ("SupportPlatform:ReverseProxy:TrustedProxies:1", "192.168.0.0/16"));
        var text = Load(("SupportPlatform:ReverseProxy:TrustedProxies", "::1, 10.1.0.0/24"));

        Assert.Equal(["10.0.0.5"], list.TrustedProxies.Select(p => p.ToString()));
        Assert.Equal(["192.168.0.0/16"], list.TrustedNetworks.Select(n => n.ToString()));
        Assert.Equal(["::1"], text.TrustedProxies.Select(p => p.ToString()));
        Assert.Equal(["10.1.0.0/24"], text.TrustedNetworks.Select(n => n.ToString()));
        Assert.Empty(Load().TrustedProxies);
    }

    [Fact]
    public void Load_PostgreSqlWithoutConnectionString_SaysWhatIsMissing()
    {
        var ex = Assert.Throws<PlatformConfigurationException>(() => Load(("SupportPlatform:Database:Provider", "PostgreSql")));

        Assert.Contains("SupportPlatform:Database:ConnectionString is missing", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeveralProblems_ReportsEveryOne()
    {
        var ex = Assert.Throws<PlatformConfigurationException>(() => Load(
            ("SupportPlatform:Cluster:SiloPort", "0"),
            ("SupportPlatform:Database:Provider", "Mongo")));

        Assert.Equal(2, ex.Problems.Count);
        Assert.Contains("SupportPlatform:Cluster:SiloPort", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SupportPlatform:Database:Provider", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SamePortTwice_Refused()
    {
        var ex = Assert.Throws<PlatformConfigurationException>(() => Load(
            ("SupportPlatform:Cluster:SiloPort", "4000"), ("SupportPlatform:Cluster:GatewayPort", "4000")));

        Assert.Contains("must differ", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmbeddedWithNonLoopbackAddress_Refused()
    {
        var ex = Assert.Throws<PlatformConfigurationException>(() => Load(("SupportPlatform:Cluster:AdvertisedAddress", "10.1.2.3")));

        Assert.Contains("single node", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }
}
