using System.Security.Claims;

namespace SupportPlatform.Core.Security;

/// <summary>Reads the platform's claims off a principal, so modules scope data without knowing how sign-in works.</summary>
public static class PlatformPrincipal
{
    /// <summary>The signed-in user's id, or null.</summary>
    public static string? UserId(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;

    /// <summary>The signed-in user's display name (falls back to the id).</summary>
    public static string DisplayName(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.Name) ?? user.UserId() ?? "unknown";

    /// <summary>True for a signed-in staff user.</summary>
    public static bool IsStaff(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && user.FindFirstValue(PlatformClaims.Kind) == PlatformClaims.StaffKind;

    /// <summary>True for a signed-in client user.</summary>
    public static bool IsClientUser(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && user.FindFirstValue(PlatformClaims.Kind) == PlatformClaims.ClientKind;

    /// <summary>The account a client user belongs to; null for staff and anonymous callers.</summary>
    public static string? ClientAccountId(this ClaimsPrincipal user) =>
        user.IsClientUser() ? user.FindFirstValue(PlatformClaims.Account) : null;

    /// <summary>True when the client user manages their account.</summary>
    public static bool IsAccountManager(this ClaimsPrincipal user) =>
        user.IsClientUser() && user.FindFirstValue(PlatformClaims.Manager) == "true";

    /// <summary>
    /// True when the caller may see data of <paramref name="accountId"/>: any staff user, or a client user of that
    /// account. Answer a false with 404 (not 403), so another account's ids are not confirmed to exist.
    /// </summary>
    public static bool CanSeeAccount(this ClaimsPrincipal user, string? accountId) =>
        user.IsStaff() || (accountId is not null && user.ClientAccountId() is { } own && string.Equals(own, accountId, StringComparison.Ordinal));
}
