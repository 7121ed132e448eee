using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Sample;

/// <summary>The sample plugin's entry point: registers its health check and its heartbeat.</summary>
public sealed class SamplePlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        var options = SampleOptions.Read(context.Configuration);
        services.AddSingleton(options);
        services.AddSingleton<IPluginHealthCheck, GreetingHealthCheck>();
        services.AddSingleton<IPluginBackgroundService, HeartbeatService>();
    }
}

/// <summary>The plugin's settings, section <c>Plugins:sample</c>, described by plugin.schema.json.</summary>
internal sealed record SampleOptions(string Greeting, TimeSpan HeartbeatInterval)
{
    public const string DefaultGreeting = "Hello from the sample plugin";

    public static SampleOptions Read(IConfiguration configuration)
    {
        var greeting = configuration["greeting"];
        var secondsText = configuration["heartbeatSeconds"];
        var seconds = 60;
        if (!string.IsNullOrWhiteSpace(secondsText)
            && (!int.TryParse(secondsText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out seconds)
                || seconds is < 1 or > 3600))
        {
            // Thrown at load: the host marks the plugin Failed with this message and keeps running.
            throw new InvalidOperationException(
                $"Plugins:sample:heartbeatSeconds is '{secondsText}': set a whole number of seconds between 1 and 3600.");
        }

        return new SampleOptions(string.IsNullOrWhiteSpace(greeting) ? DefaultGreeting : greeting, TimeSpan.FromSeconds(seconds));
    }
}
