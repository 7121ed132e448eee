using SupportPlatform.Core.People;
using SupportPlatform.Identity.Contracts;

namespace SupportPlatform.Identity.Security;

/// <summary>Answers the platform's contact lookups (who gets a notification) for active users of the identity module.</summary>
internal sealed class UserContactDirectory(IUserDirectory users) : IContactDirectory
{
    public async Task<Contact?> FindAsync(string id, CancellationToken cancellationToken) =>
        await users.FindAsync(id, cancellationToken) is { Active: true } user ? new Contact(user.Id, user.Name, user.Email) : null;
}
