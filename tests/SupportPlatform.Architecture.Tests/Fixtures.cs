using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SupportPlatform.Architecture.Tests;

/// <summary>Compiles small assemblies in memory that break one rule each, to prove the rule notices.</summary>
internal static class Fixtures
{
    private static readonly MetadataReference[] Framework =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();

    public static byte[] Compile(string assemblyName, string source, params byte[][] references)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source)],
            Framework.Concat(references.Select(r => MetadataReference.CreateFromImage(r))),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        if (!result.Success)
        {
            throw new InvalidOperationException("Fixture does not compile: " + string.Join("; ", result.Diagnostics));
        }

        return image.ToArray();
    }

    public static byte[] CompileWithPaths(string assemblyName, string source, params string[] referencePaths) =>
        Compile(assemblyName, source, referencePaths.Select(File.ReadAllBytes).ToArray());
}
