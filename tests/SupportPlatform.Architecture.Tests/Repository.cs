using System.Reflection;

namespace SupportPlatform.Architecture.Tests;

/// <summary>Where the real assemblies under test are: modules and SDK beside this test, plugins in their own output folders.</summary>
internal static class Repository
{
    public static string Root { get; } = Metadata("RepositoryRoot");

    private static string Configuration { get; } = Metadata("Configuration");

    public static IReadOnlyList<string> ModuleNames { get; } =
        Directory.GetDirectories(Path.Combine(Root, "modules"))
            .Select(Path.GetFileName)
            .Where(name => File.Exists(Path.Combine(Root, "modules", name!, name + ".csproj")))
            .Select(name => name!)
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static AssemblyFacts Module(string name) => AssemblyFacts.Read(Path.Combine(AppContext.BaseDirectory, name + ".dll"));

    public static AssemblyFacts SdkAssembly() => AssemblyFacts.Read(Path.Combine(AppContext.BaseDirectory, ArchitectureRules.Sdk + ".dll"));

    public static IReadOnlyList<string> PluginAssemblyPaths() =>
        Directory.GetDirectories(Path.Combine(Root, "plugins"))
            .Where(dir => File.Exists(Path.Combine(dir, Path.GetFileName(dir) + ".csproj")))
            .Select(dir => Path.Combine(dir, "bin", Configuration, "net10.0", Path.GetFileName(dir) + ".dll"))
            .ToArray();

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
