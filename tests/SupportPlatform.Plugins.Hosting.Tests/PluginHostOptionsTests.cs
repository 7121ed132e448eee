using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SupportPlatform.Plugins.Hosting.Tests;

public sealed class PluginHostOptionsTests
{
    [Fact]
    public void Resolve_PathInConfiguration_UsesConfiguredPath()
    {
        var options = Resolve(new() { [PluginHostOptions.PathConfigurationKey] = "/srv/sp/plugins" }, o => o.DataFolder = "/var/lib/sp");

        Assert.Equal("/srv/sp/plugins", options.PluginsPath);
        Assert.Equal(Path.Combine("/var/lib/sp", "plugin-data"), options.PluginDataPath);
    }

    [Fact]
    public void Resolve_OnlyDataFolder_DefaultsToPluginsUnderDataFolder()
    {
        var options = Resolve([], o => o.DataFolder = "/var/lib/sp");

        Assert.Equal(Path.Combine("/var/lib/sp", "plugins"), options.PluginsPath);
    }

    [Fact]
    public void Resolve_NothingSet_FailsNamingTheConfigurationKey()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve([], _ => { }));

        Assert.Contains(PluginHostOptions.PathConfigurationKey, error.Message, StringComparison.Ordinal);
    }

    private static PluginHostOptions Resolve(Dictionary<string, string?> configuration, Action<PluginHostOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        services.AddLogging();
        services.AddSupportPlatformPlugins(configure);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<PluginHostOptions>>().Value;
    }
}
