using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Telephony.Asterisk;

/// <summary>What the admin pages show for the adapter: connected to ARI or not and why, and reports waiting.</summary>
internal sealed class AriHealth : IPluginHealthCheck
{
    private volatile PluginHealthResult _state = PluginHealthResult.Degraded("Not connected to ARI yet.");

    public void Set(PluginHealthResult state) => _state = state;

    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(_state);
}
