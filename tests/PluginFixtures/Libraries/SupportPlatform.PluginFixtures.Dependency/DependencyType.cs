namespace SupportPlatform.PluginFixtures.Dependency;

/// <summary>A type a plugin's public API mentions; when its assembly is missing, the plugin is binary incompatible.</summary>
public sealed class DependencyType
{
    public string Name { get; init; } = "dependency";
}
