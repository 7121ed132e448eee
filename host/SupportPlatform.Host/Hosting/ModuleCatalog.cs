using SupportPlatform.Core;

namespace SupportPlatform.Host.Hosting;

/// <summary>Finds the first-party modules shipped with the host.</summary>
internal static class ModuleCatalog
{
    /// <summary>
    /// Scans the application's own assemblies (Scrutor, over the dependency context) for <see cref="IModule"/>
    /// implementations and creates one instance of each, ordered by name so start-up is deterministic.
    /// </summary>
    public static IReadOnlyList<IModule> Discover()
    {
        var scan = new ServiceCollection();
        scan.Scan(selector => selector
            .FromApplicationDependencies(assembly =>
                assembly.GetName().Name?.StartsWith(PlatformNames.AssemblyPrefix, StringComparison.Ordinal) == true)
            .AddClasses(classes => classes.AssignableTo<IModule>(), publicOnly: true)
            .As<IModule>()
            .WithSingletonLifetime());

        using var provider = scan.BuildServiceProvider();
        return provider.GetServices<IModule>()
            .DistinctBy(module => module.GetType())
            .OrderBy(module => module.Name, StringComparer.Ordinal)
            .ToArray();
    }
}
