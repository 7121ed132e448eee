using System.Reflection;

namespace SupportPlatform.Sdk.Tests;

/// <summary>Where the repository and the plugins' build output are.</summary>
internal static class Repository
{
    public static string Root { get; } = Metadata("RepositoryRoot");

    public static string Configuration { get; } = Metadata("Configuration");

    /// <summary>The plugin project's own output folder, where its build wrote plugin.json.</summary>
    public static string PluginOutput(string project) => Path.Combine(Root, "plugins", project, "bin", Configuration, "net10.0");

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
