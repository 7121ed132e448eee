using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace SupportPlatform.Architecture.Tests;

/// <summary>What an assembly's metadata says about its dependencies and public surface, read without loading it.</summary>
internal sealed record AssemblyFacts(
    string Name,
    IReadOnlyList<string> References,
    IReadOnlyList<(string Assembly, string Namespace, string Type)> TypeReferences,
    IReadOnlyList<(string Namespace, string Type, IReadOnlyList<string> Interfaces)> PublicTypes,
    IReadOnlyList<string> InternalsVisibleTo)
{
    public static AssemblyFacts Read(string path) => Read(File.ReadAllBytes(path));

    public static AssemblyFacts Read(byte[] image)
    {
        using var pe = new PEReader(new MemoryStream(image));
        var md = pe.GetMetadataReader();
        var name = md.GetString(md.GetAssemblyDefinition().Name);

        var references = md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToList();

        var typeRefs = new List<(string, string, string)>();
        foreach (var handle in md.TypeReferences)
        {
            var typeRef = md.GetTypeReference(handle);
            var scope = typeRef.ResolutionScope;
            // Nested type references resolve through their declaring type; walk up to the assembly.
            var ns = md.GetString(typeRef.Namespace);
            while (scope.Kind == HandleKind.TypeReference)
            {
                var outer = md.GetTypeReference((TypeReferenceHandle)scope);
                ns = md.GetString(outer.Namespace);
                scope = outer.ResolutionScope;
            }

            if (scope.Kind == HandleKind.AssemblyReference)
            {
                var assembly = md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)scope).Name);
                typeRefs.Add((assembly, ns, md.GetString(typeRef.Name)));
            }
        }

        var publicTypes = new List<(string, string, IReadOnlyList<string>)>();
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            if (!IsVisibleOutside(md, type))
            {
                continue;
            }

            var interfaces = type.GetInterfaceImplementations()
                .Select(i => md.GetInterfaceImplementation(i).Interface)
                .Where(i => i.Kind == HandleKind.TypeReference)
                .Select(i => md.GetTypeReference((TypeReferenceHandle)i))
                .Select(t => md.GetString(t.Namespace) + "." + md.GetString(t.Name))
                .ToList();
            publicTypes.Add((NamespaceOf(md, type), md.GetString(type.Name), interfaces));
        }

        var ivt = new List<string>();
        foreach (var attributeHandle in md.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = md.GetCustomAttribute(attributeHandle);
            if (AttributeTypeName(md, attribute) == "System.Runtime.CompilerServices.InternalsVisibleToAttribute")
            {
                var blob = md.GetBlobReader(attribute.Value);
                blob.ReadUInt16(); // prolog
                ivt.Add(blob.ReadSerializedString() ?? "");
            }
        }

        return new AssemblyFacts(name, references, typeRefs, publicTypes, ivt);
    }

    private static bool IsVisibleOutside(MetadataReader md, TypeDefinition type)
    {
        var visibility = type.Attributes & System.Reflection.TypeAttributes.VisibilityMask;
        if (visibility == System.Reflection.TypeAttributes.Public)
        {
            return true;
        }

        if (visibility is System.Reflection.TypeAttributes.NestedPublic or System.Reflection.TypeAttributes.NestedFamily
            or System.Reflection.TypeAttributes.NestedFamORAssem)
        {
            return IsVisibleOutside(md, md.GetTypeDefinition(type.GetDeclaringType()));
        }

        return false;
    }

    private static string NamespaceOf(MetadataReader md, TypeDefinition type) =>
        type.GetDeclaringType().IsNil ? md.GetString(type.Namespace) : NamespaceOf(md, md.GetTypeDefinition(type.GetDeclaringType()));

    private static string AttributeTypeName(MetadataReader md, CustomAttribute attribute)
    {
        if (attribute.Constructor.Kind == HandleKind.MemberReference)
        {
            var parent = md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
            if (parent.Kind == HandleKind.TypeReference)
            {
                var t = md.GetTypeReference((TypeReferenceHandle)parent);
                return md.GetString(t.Namespace) + "." + md.GetString(t.Name);
            }
        }

        return "";
    }
}
