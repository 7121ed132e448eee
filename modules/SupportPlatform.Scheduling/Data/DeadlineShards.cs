using System.Text;

namespace SupportPlatform.Scheduling.Data;

/// <summary>Which shard owns a deadline id: FNV-1a (32 bit) over its UTF-8 bytes, modulo the shard count.</summary>
/// <remarks>Stable across processes, runtimes and restarts (unlike <see cref="string.GetHashCode()"/>): rows store the result.</remarks>
internal static class DeadlineShards
{
    public static int Of(string id, int shardCount)
    {
        const uint offsetBasis = 2166136261;
        const uint prime = 16777619;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(id.Length) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetBytes(id, buffer)]
            : Encoding.UTF8.GetBytes(id);
        var hash = offsetBasis;
        foreach (var b in bytes)
        {
            hash = unchecked((hash ^ b) * prime);
        }

        return (int)(hash % (uint)shardCount);
    }
}
