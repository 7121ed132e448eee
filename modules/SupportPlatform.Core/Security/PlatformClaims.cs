namespace SupportPlatform.Core.Security;

/// <summary>
/// Claim types of a signed-in principal besides the standard ones (<c>ClaimTypes.NameIdentifier</c> = user id,
/// <c>ClaimTypes.Name</c> = display name, <c>ClaimTypes.Email</c>, <c>ClaimTypes.Role</c> = one claim per implied role).
/// </summary>
public static class PlatformClaims
{
    /// <summary>"staff" or "client".</summary>
    public const string Kind = "sp:kind";

    /// <summary>A client user's account id.</summary>
    public const string Account = "sp:account";

    /// <summary>"true" when the client user is their account's manager.</summary>
    public const string Manager = "sp:manager";

    /// <summary>Value of <see cref="Kind"/> for MSP staff.</summary>
    public const string StaffKind = "staff";

    /// <summary>Value of <see cref="Kind"/> for client users.</summary>
    public const string ClientKind = "client";
}
