using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace SupportPlatform.Billing.Domain;

/// <summary>
/// Signed approval links: the estimate, the version, the person it was sent to and an expiry, protected (encrypted and
/// authenticated) with ASP.NET Core Data Protection, whose keys the cluster shares. A changed or cut token fails
/// authentication; the expiry is checked against the platform clock, so an expired link is told apart from a forged one.
/// </summary>
internal sealed class ApprovalLinks(IDataProtectionProvider provider, TimeProvider clock)
{
    private readonly IDataProtector protector = provider.CreateProtector("SupportPlatform.Billing.ApprovalLink.v1");

    public string Create(string estimateId, int version, string userId, DateTimeOffset expires) =>
        protector.Protect(JsonSerializer.Serialize(new Payload(estimateId, version, userId, expires.ToUnixTimeMilliseconds())));

    /// <summary>The link's content; throws <see cref="BillingException"/> for a link that is forged, damaged or expired.</summary>
    public (string EstimateId, int Version, string UserId, DateTimeOffset Expires) Read(string token)
    {
        Payload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(protector.Unprotect(token));
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or JsonException)
        {
            payload = null;
        }

        if (payload is null)
        {
            throw new BillingException(400, "invalid-link",
                "This approval link is not valid: it was changed or cut off. Open the link exactly as it is in the email, or approve in the portal.");
        }

        var expires = DateTimeOffset.FromUnixTimeMilliseconds(payload.X);
        if (clock.GetUtcNow() >= expires)
        {
            throw new BillingException(410, "link-expired",
                $"This approval link expired on {expires:yyyy-MM-dd HH:mm} UTC. Approve in the portal, or ask for the estimate to be sent again.");
        }

        return (payload.E, payload.V, payload.U, expires);
    }

    private sealed record Payload(string E, int V, string U, long X);
}
