using SupportPlatform.Core.Plugins;
using SupportPlatform.Plugins.Hosting;

namespace SupportPlatform.Host.Hosting;

/// <summary>Gives modules the loaded plugins' capabilities, and the plugins with problems, through the Core contracts, over the plugin registry.</summary>
internal sealed class PluginCapabilities(IPluginRegistry registry) : IPluginCapabilities, IPluginProblems
{
    public IReadOnlyList<PluginProblem> Current() =>
        [.. registry.GetAll()
            .Where(p => p.Status is PluginStatus.Failed or PluginStatus.Incompatible or PluginStatus.Invalid)
            .Select(p => new PluginProblem(p.Id, p.Name, p.Status.ToString().ToLowerInvariant(), p.Reason, p.LastErrorAt))];

    public IReadOnlyList<PluginCapabilityRef<T>> Get<T>()
        where T : class =>
        registry.GetCapabilities<T>().Select(c => new PluginCapabilityRef<T>(c.PluginId, c.Instance)).ToList();

    public async Task<PluginCallOutcome<TResult>> InvokeAsync<T, TResult>(PluginCapabilityRef<T> capability, Func<T, CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
        where T : class
    {
        var result = await registry.TryInvokeAsync(new PluginCapability<T>(capability.PluginId, capability.Instance), call, cancellationToken);
        return new PluginCallOutcome<TResult>(result.Succeeded, result.Value, result.Error);
    }
}
