using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Sample;

/// <summary>Always healthy; its description carries the configured greeting.</summary>
internal sealed class GreetingHealthCheck(SampleOptions options) : IPluginHealthCheck
{
    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken) =>
        Task.FromResult(PluginHealthResult.Healthy(options.Greeting));
}
