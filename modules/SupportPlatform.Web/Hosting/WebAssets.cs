using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace SupportPlatform.Web.Hosting;

/// <summary>One file of the embedded web root, read once: its bytes, content type and a content hash for ETags.</summary>
internal sealed record WebAsset(string Path, byte[] Content, string ContentType, EntityTagHeaderValue ETag);

/// <summary>
/// The embedded <c>wwwroot</c> of this assembly, loaded into memory at start (a few hundred kilobytes). Serving from the
/// assembly rather than from static web assets means a build, a test output folder and a published package all serve
/// exactly the same files, with nothing to copy and nothing to fetch from the internet.
/// </summary>
internal sealed class WebAssets
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private readonly FrozenDictionary<string, WebAsset> files;

    private WebAssets(FrozenDictionary<string, WebAsset> files) => this.files = files;

    public IEnumerable<string> Paths => files.Keys;

    public static WebAssets Load(Assembly assembly)
    {
        var provider = new ManifestEmbeddedFileProvider(assembly, "wwwroot");
        var found = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        Walk(provider, "", found);
        if (found.Count == 0)
        {
            throw new InvalidOperationException($"{assembly.GetName().Name} embeds no web files: the pages cannot be served.");
        }

        return new WebAssets(found.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The file at <paramref name="path"/> (relative, '/'-separated, e.g. "js/queue.js"), or null.</summary>
    public WebAsset? Find(string path) => files.GetValueOrDefault(path);

    private static void Walk(IFileProvider provider, string folder, Dictionary<string, WebAsset> found)
    {
        // The manifest provider resolves paths from its root, written with a leading slash.
        foreach (var entry in provider.GetDirectoryContents("/" + folder))
        {
            var path = folder.Length == 0 ? entry.Name : folder + "/" + entry.Name;
            if (entry.IsDirectory)
            {
                Walk(provider, path, found);
                continue;
            }

            using var stream = entry.CreateReadStream();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var type = ContentTypes.TryGetContentType(entry.Name, out var known) ? known : "application/octet-stream";
            if (type.StartsWith("text/", StringComparison.Ordinal) || type is "application/javascript" or "text/javascript")
            {
                type += "; charset=utf-8";
            }

            var hash = Convert.ToBase64String(SHA256.HashData(content)[..12]).TrimEnd('=');
            found[path] = new WebAsset(path, content, type, new EntityTagHeaderValue($"\"{hash}\""));
        }
    }
}
