using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Loading;

/// <summary>Reads which SupportPlatform.Sdk version an assembly was compiled against, from its metadata, without loading it.</summary>
internal static class SdkReferenceReader
{
    public static readonly string SdkAssemblyName = typeof(IPlugin).Assembly.GetName().Name!;

    /// <returns>The referenced SDK assembly version, or <see langword="null"/> when the assembly does not reference the SDK.</returns>
    /// <exception cref="BadImageFormatException">The file is not a .NET assembly.</exception>
    public static Version? Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            throw new BadImageFormatException("The file has no .NET metadata.", assemblyPath);
        }

        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.AssemblyReferences)
        {
            var reference = metadata.GetAssemblyReference(handle);
            if (metadata.StringComparer.Equals(reference.Name, SdkAssemblyName))
            {
                return reference.Version;
            }
        }

        return null;
    }
}
