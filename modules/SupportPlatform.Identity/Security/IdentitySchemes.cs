namespace SupportPlatform.Identity.Security;

/// <summary>Authentication scheme names.</summary>
internal static class IdentitySchemes
{
    /// <summary>The default: forwards to <see cref="Token"/> when the request has a bearer token, else to <see cref="Cookie"/>.</summary>
    public const string Platform = "platform";

    /// <summary>The HttpOnly sign-in cookie of browsers (password, link and OpenID Connect sign-ins end here).</summary>
    public const string Cookie = "cookie";

    /// <summary>Personal API tokens (<c>Authorization: Bearer</c>).</summary>
    public const string Token = "token";

    /// <summary>OpenID Connect, registered only when configured.</summary>
    public const string Oidc = "oidc";

    /// <summary>Name of the sign-in cookie.</summary>
    public const string CookieName = "sp.auth";

    /// <summary>Header that carries the antiforgery token of cookie-authenticated unsafe requests.</summary>
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";
}
