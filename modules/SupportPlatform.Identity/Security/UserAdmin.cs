using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Api;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>Creating users, checking and setting passwords, issuing the sign-in cookie: what several endpoints share.</summary>
internal sealed class UserAdmin(UserStore users, UserCache cache, IPasswordHasher<UserRecord> hasher, IdentitySettings settings)
{
    private readonly Lazy<string> dummyHash = new(() => hasher.HashPassword(Dummy, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));

    private static readonly UserRecord Dummy = new() { Id = "-", Kind = "-", Email = "-", Name = "-", Role = "-", SecurityStamp = "-" };

    public UserStore Store => users;

    /// <summary>User ids: 1–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 64 } && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.');

    public static string NewId() => "u-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>Validates and creates a user; returns the user or a problem result.</summary>
    public async Task<(UserRecord? User, IResult? Problem)> CreateAsync(
        string kind, string? id, string? email, string? name, string role, string? accountId, bool manager, string? password, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (id is not null && !IsValidId(id))
        {
            errors["id"] = ["A user id is 1 to 64 lowercase letters, digits, '.', '_' or '-', e.g. 'alice' (leave it out to get a generated one)."];
        }

        var normalized = IdentitySettings.NormalizeEmail(email);
        if (normalized is null)
        {
            errors["email"] = [$"'{email}' is not an email address; expected name@domain."];
        }

        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 200)
        {
            errors["name"] = ["Give the user's display name (1 to 200 characters)."];
        }

        if (password is not null && IdentitySettings.PasswordProblem(password) is { } problem)
        {
            errors["password"] = [problem + "."];
        }

        if (errors.Count > 0)
        {
            return (null, ApiResults.Invalid(errors));
        }

        var user = new UserRecord
        {
            Id = id ?? NewId(),
            Kind = kind,
            Email = normalized!,
            Name = name!.Trim(),
            Role = role,
            AccountId = accountId,
            IsManager = manager,
            SecurityStamp = UserStore.NewStamp(),
        };
        user = user with { PasswordHash = password is null ? null : hasher.HashPassword(user, password) };
        if (!await users.TryInsertAsync(user, cancellationToken))
        {
            var taken = await users.FindByEmailAsync(user.Email, cancellationToken) is not null ? $"the email {user.Email}" : $"the id '{user.Id}'";
            return (null, ApiResults.Conflict("user-exists", $"A user with {taken} already exists."));
        }

        return (await users.FindAsync(user.Id, cancellationToken), null);
    }

    /// <summary>Writes <paramref name="user"/> with a new security stamp (signing out its cookies) and evicts the cache.</summary>
    public async Task<UserRecord> SaveAsync(UserRecord user, bool newStamp, CancellationToken cancellationToken)
    {
        if (newStamp)
        {
            user = user with { SecurityStamp = UserStore.NewStamp() };
        }

        await users.UpdateAsync(user, cancellationToken);
        cache.Evict(user.Id);
        return (await users.FindAsync(user.Id, cancellationToken))!;
    }

    /// <summary>Sets a new password (validated by the caller), clears a lockout and signs out other sessions.</summary>
    public Task<UserRecord> SetPasswordAsync(UserRecord user, string password, CancellationToken cancellationToken) =>
        SaveAsync(user with { PasswordHash = hasher.HashPassword(user, password), FailedSignins = 0, LockedUntil = null }, newStamp: true, cancellationToken);

    /// <summary>Checks <paramref name="password"/>; spends the same time when the user has no password.</summary>
    public async Task<bool> CheckPasswordAsync(UserRecord? user, string password, CancellationToken cancellationToken)
    {
        if (user?.PasswordHash is not { } hash)
        {
            hasher.VerifyHashedPassword(Dummy, dummyHash.Value, password);
            return false;
        }

        var result = hasher.VerifyHashedPassword(user, hash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await users.UpdateAsync(user with { PasswordHash = hasher.HashPassword(user, password) }, cancellationToken);
        }

        return result != PasswordVerificationResult.Failed;
    }

    /// <summary>Issues the sign-in cookie for <paramref name="user"/>.</summary>
    public async Task SignInAsync(HttpContext http, UserRecord user, string method)
    {
        var principal = PrincipalFactory.Create(user, IdentitySchemes.Cookie, method);
        await http.SignInAsync(IdentitySchemes.Cookie, principal, new AuthenticationProperties
        {
            IsPersistent = true,
            AllowRefresh = true,
        });
        http.User = principal;
    }

    public static MeView Me(UserRecord user, System.Security.Claims.ClaimsPrincipal principal) => new(
        user.Id,
        user.Email,
        user.Name,
        user.Kind,
        PlatformRoles.All.Where(principal.IsInRole).ToList(),
        user.AccountId,
        user.IsManager);

    public TimeSpan LockoutDuration => settings.LockoutDuration;
}
