using SupportPlatform.Sdk;

namespace Contoso.SupportPlugin;

/// <summary>Shown on the console's plugins page. Check what the plugin depends on here (an API it calls, a file it reads).</summary>
internal sealed class Health : IPluginHealthCheck
{
    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(PluginHealthResult.Healthy("Ready to receive alerts."));
    }
}
