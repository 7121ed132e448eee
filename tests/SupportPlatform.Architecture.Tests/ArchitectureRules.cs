namespace SupportPlatform.Architecture.Tests;

/// <summary>
/// The boundaries of ARCHITECTURE.md as functions from assembly facts to violations, so that each rule is
/// checked on the real assemblies (no violation expected) and on deliberately broken ones (violation expected).
/// </summary>
internal static class ArchitectureRules
{
    public const string Prefix = "SupportPlatform.";
    public const string Sdk = "SupportPlatform.Sdk";
    public const string Kernel = "SupportPlatform.Core";
    private const string ModuleInterface = "SupportPlatform.Core.IModule";

    private static readonly string[] ForbiddenForPlugins = ["Orleans", "Microsoft.Orleans", "Microsoft.AspNetCore"];

    /// <summary>A plugin may depend on the SDK and third-party libraries, never on the host, a module, Orleans or ASP.NET Core.</summary>
    public static IEnumerable<string> PluginReferencesOnlySdk(AssemblyFacts plugin) =>
        plugin.References
            .Where(r => (r.StartsWith(Prefix, StringComparison.Ordinal) && r != Sdk)
                || ForbiddenForPlugins.Any(f => r == f || r.StartsWith(f + ".", StringComparison.Ordinal)))
            .Select(r => $"plugin {plugin.Name} references {r}; plugins may reference only {Sdk}");

    /// <summary>The SDK depends on the base library and Microsoft.Extensions abstractions only.</summary>
    public static IEnumerable<string> SdkReferencesOnlyAbstractions(AssemblyFacts sdk) =>
        sdk.References
            .Where(r => !(r is "netstandard" or "mscorlib" || r.StartsWith("System.", StringComparison.Ordinal) || r == "System"
                || (r.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && r.EndsWith(".Abstractions", StringComparison.Ordinal))))
            .Select(r => $"{sdk.Name} references {r}; the SDK may reference only the base library and Microsoft.Extensions.*.Abstractions");

    /// <summary>A module reaches another module only through types in that module's Contracts namespace (the kernel is shared).</summary>
    public static IEnumerable<string> ModuleUsesOnlyContractsOfOthers(AssemblyFacts module, IReadOnlySet<string> modules) =>
        module.TypeReferences
            // Orleans' generated codecs of another module's contract types are referenced by generated code, not by ours.
            .Where(t => t.Assembly != module.Name && t.Assembly != Kernel && modules.Contains(t.Assembly)
                && !IsContractNamespace(t.Namespace, t.Assembly) && !IsGenerated(t.Namespace))
            .Select(t => $"{module.Name} uses {t.Namespace}.{t.Type} of {t.Assembly}, which is not in {t.Assembly}.Contracts")
            .Distinct();

    /// <summary>A module never references the host or a plugin.</summary>
    public static IEnumerable<string> ModuleDoesNotReferenceHostOrPlugins(AssemblyFacts module) =>
        module.References
            .Where(r => r.StartsWith("SupportPlatform.Host", StringComparison.Ordinal)
                || r.StartsWith("SupportPlatform.Plugins", StringComparison.Ordinal))
            .Select(r => $"{module.Name} references {r}; modules must not depend on the host or on plugins");

    /// <summary>Only contracts are public: types in the module's Contracts namespace and its IModule entry class.</summary>
    public static IEnumerable<string> ModuleExposesOnlyContracts(AssemblyFacts module) =>
        module.Name == Kernel
            ? []
            : module.PublicTypes
                .Where(t => !IsContractNamespace(t.Namespace, module.Name) && !t.Interfaces.Contains(ModuleInterface)
                    && !IsGenerated(t.Namespace))
                .Select(t => $"{module.Name} makes {t.Namespace}.{t.Type} public; only {module.Name}.Contracts types and the module class may be");

    /// <summary>A module opens its internals to its own tests and the benchmarks only, never to another module.</summary>
    public static IEnumerable<string> ModuleInternalsOnlyForTests(AssemblyFacts module) =>
        module.InternalsVisibleTo
            .Select(v => v.Split(',')[0].Trim())
            .Where(v => !(v.EndsWith(".Tests", StringComparison.Ordinal) || v == "SupportPlatform.Benchmarks"))
            .Select(v => $"{module.Name} grants InternalsVisibleTo {v}; only test assemblies and the benchmarks may see internals");

    private static bool IsContractNamespace(string ns, string assembly) =>
        ns == assembly + ".Contracts" || ns.StartsWith(assembly + ".Contracts.", StringComparison.Ordinal);

    // Orleans' source generator emits public proxies and codecs under OrleansCodeGen.
    private static bool IsGenerated(string ns) => ns.StartsWith("OrleansCodeGen", StringComparison.Ordinal);
}
