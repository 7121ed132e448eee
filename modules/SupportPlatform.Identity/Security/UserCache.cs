using Microsoft.Extensions.Caching.Memory;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Recent user rows for request checks (is the cookie's user still active with the same security stamp?), so a signed-in
/// request costs no database round trip most of the time. A change made on this node evicts at once; other nodes see
/// it within <see cref="Lifetime"/>.
/// </summary>
internal sealed class UserCache(UserStore users, IdentityCache identityCache)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(15);

    private readonly MemoryCache cache = identityCache.Cache;

    public async Task<UserRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var key = Key(id);
        if (cache.TryGetValue(key, out UserRecord? user))
        {
            return user;
        }

        user = await users.FindAsync(id, cancellationToken);
        cache.Set(key, user, Lifetime);
        return user;
    }

    public void Evict(string id) => cache.Remove(Key(id));

    private static string Key(string id) => "sp:user:" + id;
}
