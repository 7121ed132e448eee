using SupportPlatform.LiveQueue.Contracts;

namespace SupportPlatform.LiveQueue.Grains;

/// <summary>
/// The most recent changes, contiguous by sequence number, in a fixed ring: what a reconnecting client (or node) can
/// still be given. Not thread-safe; the owner serialises access.
/// </summary>
internal sealed class ChangeLog(int capacity)
{
    private readonly LiveChange[] ring = new LiveChange[capacity];
    private int head;
    private int count;

    /// <summary>The newest sequence number known.</summary>
    public long LastSeq { get; private set; }

    /// <summary>Changes up to and including this number are no longer (or were never) held: asking from below it means a reset.</summary>
    public long Floor { get; private set; }

    public int Count => count;

    /// <summary>Forgets everything; the next change must be <paramref name="lastSeq"/> + 1.</summary>
    public void Reset(long lastSeq)
    {
        Array.Clear(ring);
        head = 0;
        count = 0;
        LastSeq = lastSeq;
        Floor = lastSeq;
    }

    /// <summary>Adds the next change; false (and nothing changes) unless its number is exactly <see cref="LastSeq"/> + 1.</summary>
    public bool Append(LiveChange change)
    {
        if (change.Seq != LastSeq + 1)
        {
            return false;
        }

        if (count == ring.Length)
        {
            Floor = ring[head].Seq;
            ring[head] = change;
            head = (head + 1) % ring.Length;
        }
        else
        {
            ring[(head + count) % ring.Length] = change;
            count++;
        }

        LastSeq = change.Seq;
        return true;
    }

    /// <summary>Every change held, oldest first.</summary>
    public LiveChange[] All() => Slice(0, count);

    /// <summary>
    /// The changes after <paramref name="afterSeq"/>, or null when some of them are gone (it is below <see cref="Floor"/>)
    /// or it is not a number this log has reached (another epoch of the hub).
    /// </summary>
    public LiveChange[]? After(long afterSeq)
    {
        if (afterSeq < Floor || afterSeq > LastSeq)
        {
            return null;
        }

        var skip = (int)(afterSeq - Floor);
        return Slice(skip, count - skip);
    }

    private LiveChange[] Slice(int from, int length)
    {
        var result = new LiveChange[length];
        for (var i = 0; i < length; i++)
        {
            result[i] = ring[(head + from + i) % ring.Length];
        }

        return result;
    }
}
