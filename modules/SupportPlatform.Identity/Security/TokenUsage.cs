using System.Collections.Concurrent;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Last-used times of API tokens, collected in memory and written in one batch now and then (see
/// <see cref="IdentityBackgroundWriter"/>), so a request with a token costs no write.
/// </summary>
internal sealed class TokenUsage
{
    private ConcurrentDictionary<string, long> pending = new(StringComparer.Ordinal);

    public void Touch(string tokenId, DateTimeOffset at) =>
        pending.AddOrUpdate(tokenId, at.ToUnixTimeMilliseconds(), (_, old) => Math.Max(old, at.ToUnixTimeMilliseconds()));

    /// <summary>Takes everything collected so far.</summary>
    public IReadOnlyCollection<KeyValuePair<string, long>> Drain()
    {
        var taken = Interlocked.Exchange(ref pending, new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
        return taken.ToArray();
    }
}
