namespace SupportPlatform.Architecture.Tests;

public sealed class BoundaryTests
{
    private static readonly HashSet<string> Modules = [.. Repository.ModuleNames];

    public static TheoryData<string> ModuleNames() => [.. Repository.ModuleNames];

    [Fact]
    public void Repository_Layout_HasModulesAndPlugins()
    {
        // Guards the other tests against passing vacuously on an empty scan.
        Assert.Contains("SupportPlatform.Core", Modules);
        Assert.Contains("SupportPlatform.Storage", Modules);
        Assert.Contains("SupportPlatform.Operations", Modules);
        Assert.NotEmpty(Repository.PluginAssemblyPaths());
    }

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void Module_OtherModules_ReachedOnlyThroughContracts(string module) =>
        Assert.Empty(ArchitectureRules.ModuleUsesOnlyContractsOfOthers(Repository.Module(module), Modules));

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void Module_PublicSurface_IsOnlyContracts(string module) =>
        Assert.Empty(ArchitectureRules.ModuleExposesOnlyContracts(Repository.Module(module)));

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void Module_References_NeitherHostNorPlugins(string module) =>
        Assert.Empty(ArchitectureRules.ModuleDoesNotReferenceHostOrPlugins(Repository.Module(module)));

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void Module_Internals_VisibleOnlyToTests(string module) =>
        Assert.Empty(ArchitectureRules.ModuleInternalsOnlyForTests(Repository.Module(module)));

    [Fact]
    public void Plugins_References_OnlySdk()
    {
        foreach (var path in Repository.PluginAssemblyPaths())
        {
            Assert.True(File.Exists(path), $"plugin output {path} is missing: build the solution first");
            Assert.Empty(ArchitectureRules.PluginReferencesOnlySdk(AssemblyFacts.Read(path)));
        }
    }

    [Fact]
    public void Sdk_References_OnlyAbstractions() =>
        Assert.Empty(ArchitectureRules.SdkReferencesOnlyAbstractions(Repository.SdkAssembly()));
}
