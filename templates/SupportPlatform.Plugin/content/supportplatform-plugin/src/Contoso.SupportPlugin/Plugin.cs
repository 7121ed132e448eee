using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Webhooks;

namespace Contoso.SupportPlugin;

/// <summary>The plugin's entry point: the host calls ConfigureServices once, at load.</summary>
public sealed class Plugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Thrown at load: the host marks the plugin Failed with this message (shown on the console's plugins page).
        var secret = context.Configuration["secret"];
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < 16)
        {
            throw new InvalidOperationException($"Plugins:{context.PluginId}:secret must be set to a secret of at least 16 characters.");
        }

        services.AddSingleton(new Settings(secret));
        services.AddSingleton<IWebhookHandler, AlertWebhook>();
        services.AddSingleton<IPluginHealthCheck, Health>();
    }
}

/// <summary>The plugin's settings, from Plugins:&lt;id&gt; (described by plugin.schema.json).</summary>
internal sealed record Settings(string Secret);
