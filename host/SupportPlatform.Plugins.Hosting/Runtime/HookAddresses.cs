using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Hosting.Runtime;

/// <summary>
/// Builds the public addresses of plugin webhooks: <c>&lt;public URL&gt;/hooks/&lt;plugin id&gt;/...</c>, from the
/// configured public URL, else from the first address the server listens on (read when asked, since the server
/// binds after the plugins load).
/// </summary>
internal sealed class HookAddresses(IOptions<PluginHostOptions> options, IServiceProvider services)
{
    public const string RoutePrefix = "/hooks";

    public bool IsConfigured => options.Value.PublicUrl is not null;

    /// <summary>The public base, without a trailing slash (it may carry a path: <c>https://msp.example/support</c>).</summary>
    public string Base
    {
        get
        {
            if (options.Value.PublicUrl is { } configured)
            {
                return configured.GetLeftPart(UriPartial.Path).TrimEnd('/');
            }

            var listening = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            return (listening ?? "http://localhost").Replace("://+", "://localhost", StringComparison.Ordinal)
                .Replace("://*", "://localhost", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
                .Replace("://[::]", "://localhost", StringComparison.Ordinal)
                .TrimEnd('/');
        }
    }

    /// <summary>The public address of a path below a plugin's hook root.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="relative">The path below its root, with an optional query; a leading slash is optional.</param>
    /// <returns>The absolute address.</returns>
    public Uri For(string pluginId, string relative) =>
        new($"{Base}{RoutePrefix}/{Uri.EscapeDataString(pluginId)}/{relative.TrimStart('/')}", UriKind.Absolute);

    /// <summary>The <see cref="IWebhookUrls"/> a plugin receives.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <returns>Its own view.</returns>
    public IWebhookUrls ForPlugin(string pluginId) => new PluginUrls(this, pluginId);

    private sealed class PluginUrls(HookAddresses addresses, string pluginId) : IWebhookUrls
    {
        public bool IsConfigured => addresses.IsConfigured;

        public Uri GetUrl(string relativePath)
        {
            ArgumentNullException.ThrowIfNull(relativePath);
            return addresses.For(pluginId, relativePath);
        }
    }
}
