namespace SupportPlatform.Core.Security;

/// <summary>
/// Authorization policy names. Every endpoint names one (or is explicitly anonymous); an endpoint that names none
/// gets <see cref="Staff"/>, the fallback policy, so a new endpoint is never open by accident.
/// </summary>
public static class PlatformPolicies
{
    /// <summary>Any staff role.</summary>
    public const string Staff = "staff";

    /// <summary>Senior engineer or admin.</summary>
    public const string Senior = "senior";

    /// <summary>Admin only.</summary>
    public const string Admin = "admin";

    /// <summary>A client user.</summary>
    public const string Client = "client";

    /// <summary>Anyone signed in, staff or client. Endpoints with this policy must scope what a client user sees to their account.</summary>
    public const string SignedIn = "signed-in";
}
