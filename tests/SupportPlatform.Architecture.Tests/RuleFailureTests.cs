namespace SupportPlatform.Architecture.Tests;

/// <summary>Each rule, given an assembly that breaks it, reports the violation (a rule that cannot fail proves nothing).</summary>
public sealed class RuleFailureTests
{
    private static readonly byte[] ModuleB = Fixtures.Compile(
        "SupportPlatform.FakeB",
        """
        namespace SupportPlatform.FakeB.Contracts { public interface IBService { } }
        namespace SupportPlatform.FakeB.Internals { public sealed class BEngine { public static int Run() => 1; } }
        """);

    [Fact]
    public void ModuleUsesOnlyContractsOfOthers_NonContractTypeUsed_Reports()
    {
        var moduleA = AssemblyFacts.Read(Fixtures.Compile(
            "SupportPlatform.FakeA",
            "namespace SupportPlatform.FakeA { internal static class A { public static int Go() => SupportPlatform.FakeB.Internals.BEngine.Run(); } }",
            ModuleB));

        var violations = ArchitectureRules.ModuleUsesOnlyContractsOfOthers(moduleA, new HashSet<string> { "SupportPlatform.FakeA", "SupportPlatform.FakeB" });

        Assert.Contains(violations, v => v.Contains("SupportPlatform.FakeB.Internals.BEngine", StringComparison.Ordinal));
    }

    [Fact]
    public void ModuleUsesOnlyContractsOfOthers_ContractTypeUsed_Passes()
    {
        var moduleA = AssemblyFacts.Read(Fixtures.Compile(
            "SupportPlatform.FakeA",
            "namespace SupportPlatform.FakeA { internal sealed class A : SupportPlatform.FakeB.Contracts.IBService { } }",
            ModuleB));

        Assert.Empty(ArchitectureRules.ModuleUsesOnlyContractsOfOthers(moduleA, new HashSet<string> { "SupportPlatform.FakeA", "SupportPlatform.FakeB" }));
    }

    [Fact]
    public void ModuleExposesOnlyContracts_PublicImplementationType_Reports()
    {
        var violations = ArchitectureRules.ModuleExposesOnlyContracts(AssemblyFacts.Read(ModuleB)).ToList();

        Assert.Single(violations);
        Assert.Contains("SupportPlatform.FakeB.Internals.BEngine", violations[0], StringComparison.Ordinal);
    }

    [Fact]
    public void ModuleDoesNotReferenceHostOrPlugins_HostReferenced_Reports()
    {
        var host = Fixtures.Compile("SupportPlatform.Host", "namespace SupportPlatform.Host { public static class H { public static int X => 1; } }");
        var module = AssemblyFacts.Read(Fixtures.Compile(
            "SupportPlatform.FakeA", "namespace SupportPlatform.FakeA { internal static class A { public static int Y => SupportPlatform.Host.H.X; } }", host));

        Assert.NotEmpty(ArchitectureRules.ModuleDoesNotReferenceHostOrPlugins(module));
    }

    [Fact]
    public void ModuleInternalsOnlyForTests_GrantedToAnotherModule_Reports()
    {
        var module = AssemblyFacts.Read(Fixtures.Compile(
            "SupportPlatform.FakeA",
            """
            [assembly: System.Runtime.CompilerServices.InternalsVisibleTo("SupportPlatform.FakeA.Tests")]
            [assembly: System.Runtime.CompilerServices.InternalsVisibleTo("SupportPlatform.FakeB")]
            namespace SupportPlatform.FakeA { internal static class A { } }
            """));

        var violation = Assert.Single(ArchitectureRules.ModuleInternalsOnlyForTests(module));
        Assert.Contains("SupportPlatform.FakeB", violation, StringComparison.Ordinal);
    }

    [Fact]
    public void PluginReferencesOnlySdk_ModuleReferenced_Reports()
    {
        var plugin = AssemblyFacts.Read(Fixtures.Compile(
            "SupportPlatform.Plugins.Bad",
            "namespace SupportPlatform.Plugins.Bad { public static class P { public static int Z => SupportPlatform.FakeB.Internals.BEngine.Run(); } }",
            ModuleB));

        Assert.Contains(ArchitectureRules.PluginReferencesOnlySdk(plugin), v => v.Contains("SupportPlatform.FakeB", StringComparison.Ordinal));
    }

    [Fact]
    public void PluginReferencesOnlySdk_AspNetCoreReferenced_Reports()
    {
        var aspNet = Fixtures.Compile("Microsoft.AspNetCore.Http", "namespace Microsoft.AspNetCore.Http { public static class R { public static int V => 2; } }");
        var plugin = AssemblyFacts.Read(Fixtures.Compile(
            "SupportPlatform.Plugins.Bad", "namespace SupportPlatform.Plugins.Bad { public static class P { public static int Z => Microsoft.AspNetCore.Http.R.V; } }", aspNet));

        Assert.NotEmpty(ArchitectureRules.PluginReferencesOnlySdk(plugin));
    }

    [Fact]
    public void SdkReferencesOnlyAbstractions_OrleansReferenced_Reports()
    {
        var orleans = Fixtures.Compile("Orleans.Core", "namespace Orleans { public static class G { public static int V => 3; } }");
        var sdk = AssemblyFacts.Read(Fixtures.Compile(
            "SupportPlatform.Sdk", "namespace SupportPlatform.Sdk { public static class S { public static int Z => Orleans.G.V; } }", orleans));

        Assert.Contains(ArchitectureRules.SdkReferencesOnlyAbstractions(sdk), v => v.Contains("Orleans.Core", StringComparison.Ordinal));
    }
}
