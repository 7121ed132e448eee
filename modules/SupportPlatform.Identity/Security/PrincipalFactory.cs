using System.Security.Claims;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>Builds the principal of a signed-in user: the same claims whichever way they signed in.</summary>
internal static class PrincipalFactory
{
    public const string Stamp = "sp:stamp";
    public const string Method = "sp:method";
    public const string TokenId = "sp:token";

    /// <summary>
    /// The principal of <paramref name="user"/> for <paramref name="scheme"/>. <paramref name="role"/> caps the roles
    /// (an API token's role); it never raises them above the user's own.
    /// </summary>
    public static ClaimsPrincipal Create(UserRecord user, string scheme, string method, string? role = null, string? tokenId = null)
    {
        var effective = role is not null && PlatformRoles.Rank(role) < PlatformRoles.Rank(user.Role) ? role : user.Role;
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id),
            new(ClaimTypes.Name, user.Name),
            new(ClaimTypes.Email, user.Email),
            new(PlatformClaims.Kind, user.Kind),
            new(Stamp, user.SecurityStamp),
            new(Method, method),
        };
        claims.AddRange(PlatformRoles.Implied(effective).Select(r => new Claim(ClaimTypes.Role, r)));
        if (user.AccountId is { } account)
        {
            claims.Add(new Claim(PlatformClaims.Account, account));
            claims.Add(new Claim(PlatformClaims.Manager, user.IsManager ? "true" : "false"));
        }

        if (tokenId is not null)
        {
            claims.Add(new Claim(TokenId, tokenId));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>The highest role the principal holds (the token's role for a bearer token).</summary>
    public static string EffectiveRole(ClaimsPrincipal principal) =>
        PlatformRoles.All.FirstOrDefault(principal.IsInRole) ?? PlatformRoles.Client;
}
