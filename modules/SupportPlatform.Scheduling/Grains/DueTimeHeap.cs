namespace SupportPlatform.Scheduling.Grains;

/// <summary>
/// A binary min-heap of due times (Unix ms): the only per-deadline memory a shard holds, 8 bytes each.
/// It says when to wake up, not what fires: at each wake-up the shard reads the due rows from the table, so a
/// cancelled or moved deadline leaves only a harmless early wake-up behind, until the next window refresh drops it.
/// </summary>
internal sealed class DueTimeHeap
{
    private long[] items = new long[16];

    public int Count { get; private set; }

    public long Peek() => Count == 0 ? throw new InvalidOperationException("empty heap") : items[0];

    public void Add(long value)
    {
        if (Count == items.Length)
        {
            Array.Resize(ref items, items.Length * 2);
        }

        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (items[parent] <= value)
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = value;
    }

    public long Pop()
    {
        var top = Peek();
        var last = items[--Count];
        if (Count > 0)
        {
            SiftDown(0, last);
        }

        return top;
    }

    /// <summary>Replaces the content (a window reload); shrinks the array when the window emptied a lot.</summary>
    public void Reset(List<long> values)
    {
        var capacity = Math.Max(16, values.Count);
        if (items.Length < capacity || items.Length > capacity * 4)
        {
            items = new long[capacity];
        }

        values.CopyTo(items);
        Count = values.Count;
        for (var i = Count / 2 - 1; i >= 0; i--)
        {
            SiftDown(i, items[i]);
        }
    }

    private void SiftDown(int i, long value)
    {
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && items[child + 1] < items[child])
            {
                child++;
            }

            if (items[child] >= value)
            {
                break;
            }

            items[i] = items[child];
            i = child;
        }

        items[i] = value;
    }
}
