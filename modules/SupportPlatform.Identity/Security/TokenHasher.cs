using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Makes high-entropy secrets (API tokens, sign-in links) and their keyed hashes. Only the hash is stored, so a copy of
/// the database does not hold usable tokens; the key comes from <c>SupportPlatform:Identity:TokenKey</c> or is generated
/// once and kept in the database (shared by all nodes). A token has 256 random bits, so a fast keyed hash (HMAC-SHA256)
/// is as safe as a slow password hash and keeps verifying a token to one indexed lookup.
/// </summary>
internal sealed class TokenHasher(IdentitySettings settings, SecretStore secrets)
{
    private Task<byte[]>? key;

    /// <summary>A new random token with <paramref name="prefix"/> (e.g. "spt_" for API tokens), URL-safe.</summary>
    public static string NewToken(string prefix) => prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public async Task<string> HashAsync(string token, CancellationToken cancellationToken)
    {
        var bytes = await KeyAsync(cancellationToken);
        return Convert.ToHexStringLower(HMACSHA256.HashData(bytes, Encoding.UTF8.GetBytes(token)));
    }

    public Task<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        var current = key;
        if (current is { IsCompletedSuccessfully: true })
        {
            return current;
        }

        // A failed load (database not reachable yet) is retried on the next call.
        current = LoadAsync(cancellationToken);
        key = current;
        return current;
    }

    private async Task<byte[]> LoadAsync(CancellationToken cancellationToken)
    {
        if (settings.TokenKey is { } configured)
        {
            return SHA256.HashData(Encoding.UTF8.GetBytes(configured));
        }

        var stored = await secrets.GetOrCreateAsync(SecretStore.TokenKey, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), cancellationToken);
        return Convert.FromBase64String(stored);
    }
}
