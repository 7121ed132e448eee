using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Email.Imap;

/// <summary>What a mailbox's poller last saw, read by its health check.</summary>
internal sealed class MailboxHealth(MailboxSettings mailbox)
{
    private volatile PluginHealthResult _result = PluginHealthResult.Degraded($"mailbox '{mailbox.Id}' ({mailbox.Description}): not connected yet.");

    public PluginHealthResult Current => _result;

    public void Healthy(string detail) => _result = PluginHealthResult.Healthy($"mailbox '{mailbox.Id}' ({mailbox.Description}): {detail}");

    public void Degraded(string problem) => _result = PluginHealthResult.Degraded($"mailbox '{mailbox.Id}' ({mailbox.Description}): {problem}");

    public void Unhealthy(string problem) => _result = PluginHealthResult.Unhealthy($"mailbox '{mailbox.Id}' ({mailbox.Description}): {problem}");
}

/// <summary>One health check per mailbox; the host shows a plugin's worst.</summary>
internal sealed class MailboxHealthCheck(MailboxHealth health) : IPluginHealthCheck
{
    public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(health.Current);
}
