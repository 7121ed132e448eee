using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace SupportPlatform.Identity.Security;

/// <summary>The identity module's own short-lived cache (users and verified tokens), cleared whole on a revocation.</summary>
internal sealed class IdentityCache : IDisposable
{
    public MemoryCache Cache { get; } = new(Options.Create(new MemoryCacheOptions()));

    public void Clear() => Cache.Clear();

    public void Dispose() => Cache.Dispose();
}
