namespace SupportPlatform.Identity.Contracts;

/// <summary>A person who signs in: MSP staff or a user of one client account.</summary>
/// <param name="Id">Stable user id; the actor id in ticket histories and audit entries.</param>
/// <param name="Kind">"staff" or "client".</param>
/// <param name="Email">Lower-cased email address (unique).</param>
/// <param name="Name">Display name.</param>
/// <param name="Role">admin, senior or agent for staff; client for client users.</param>
/// <param name="AccountId">The client account of a client user; null for staff.</param>
/// <param name="IsManager">True when the client user manages their account's users.</param>
/// <param name="Active">False once deactivated: the user can no longer sign in and their tokens stop working.</param>
public sealed record PlatformUser(string Id, string Kind, string Email, string Name, string Role, string? AccountId, bool IsManager, bool Active);

/// <summary>Looks up users, e.g. to address a notification to a client user. Registered by the identity module.</summary>
public interface IUserDirectory
{
    /// <summary>The user with id <paramref name="id"/>, or null.</summary>
    Task<PlatformUser?> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The users of client account <paramref name="accountId"/> (active and deactivated), by name.</summary>
    Task<IReadOnlyList<PlatformUser>> ListAccountUsersAsync(string accountId, CancellationToken cancellationToken = default);

    /// <summary>The staff users (active and deactivated), by name.</summary>
    Task<IReadOnlyList<PlatformUser>> ListStaffAsync(CancellationToken cancellationToken = default);

    /// <summary>The user with email address <paramref name="email"/> (compared case-insensitively), or null.</summary>
    Task<PlatformUser?> FindByEmailAsync(string email, CancellationToken cancellationToken = default);
}

/// <summary>
/// Creates client users on behalf of another module (an import from another help desk), without a password and
/// without an invitation: they sign in once staff invite them. Registered by the identity module.
/// </summary>
public interface IClientUserProvisioning
{
    /// <summary>
    /// The client user of <paramref name="accountId"/> with <paramref name="email"/>, created (id <paramref name="id"/>)
    /// when there is none. Idempotent. Throws <see cref="InvalidOperationException"/> when the email belongs to staff or
    /// to another account's user, or the id is taken by someone else.
    /// </summary>
    Task<PlatformUser> EnsureClientUserAsync(string accountId, string id, string email, string name, CancellationToken cancellationToken = default);
}
