namespace SupportPlatform.Core.Plugins;

/// <summary>
/// The plugins that are not running because something is wrong with them (failed while loading or running,
/// incompatible with this host, or an invalid folder), for modules that tell staff about it. Plugins turned off on
/// purpose by configuration are not problems and are not listed.
/// </summary>
public interface IPluginProblems
{
    /// <summary>Every plugin with a problem now, in folder order.</summary>
    IReadOnlyList<PluginProblem> Current();
}

/// <summary>One plugin that is not running.</summary>
/// <param name="PluginId">Its id (or folder name when its manifest could not be read).</param>
/// <param name="Name">Its display name, when known.</param>
/// <param name="Status">"failed", "incompatible" or "invalid".</param>
/// <param name="Reason">Why, in words an administrator can act on.</param>
/// <param name="Since">When it was refused or failed.</param>
public sealed record PluginProblem(string PluginId, string? Name, string Status, string? Reason, DateTimeOffset? Since);
