using Microsoft.Extensions.Caching.Memory;
using SupportPlatform.Core.People;
using SupportPlatform.Identity.Contracts;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Answers the platform's contact lookups (who gets a notification) for active users of the identity module. Lookups
/// run inside ticket transactions (a notification is written with the change), so answers, including "not a user",
/// are cached briefly: as long as a token check is (15 s), after which a renamed or deactivated user is seen.
/// </summary>
internal sealed class UserContactDirectory(IUserDirectory users, IdentityCache cache) : IContactDirectory
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(15);

    public async Task<Contact?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var key = "contact:" + id;
        if (cache.Cache.TryGetValue(key, out Contact? cached))
        {
            return cached;
        }

        var contact = await users.FindAsync(id, cancellationToken) is { Active: true } user ? new Contact(user.Id, user.Name, user.Email) : null;
        cache.Cache.Set(key, contact, Lifetime);
        return contact;
    }
}
