namespace SupportPlatform.LiveQueue;

/// <summary>Settings under <c>SupportPlatform:LiveQueue</c>; checked at start.</summary>
internal sealed class LiveQueueOptions
{
    public const string SectionName = "SupportPlatform:LiveQueue";

    /// <summary>Recent changes kept (by the hub grain and by every node) for clients that reconnect.</summary>
    public int CatchUpBufferSize { get; set; } = 2048;

    /// <summary>Changes waiting to be forwarded on this node before the oldest are dropped.</summary>
    public int PublishQueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// How long one push to one client may wait for that client to take it; a client that stays behind longer (it
    /// stopped reading) is disconnected, reconnects and catches up. The others never wait for it.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bytes buffered per connection towards the client before a push has to wait (SignalR TransportMaxBufferSize).</summary>
    public long SendBufferBytes { get; set; } = 64 * 1024;

    /// <summary>How often each node renews its subscription to the hub grain (the subscription expires after three times this).</summary>
    public TimeSpan ResubscribeInterval { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<string> Validate()
    {
        if (CatchUpBufferSize is < 16 or > 1_000_000)
        {
            yield return $"{SectionName}:CatchUpBufferSize is {CatchUpBufferSize}; expected a number of changes from 16 to 1000000.";
        }

        if (PublishQueueCapacity is < 16 or > 1_000_000)
        {
            yield return $"{SectionName}:PublishQueueCapacity is {PublishQueueCapacity}; expected a number of changes from 16 to 1000000.";
        }

        if (SendTimeout < TimeSpan.FromMilliseconds(100) || SendTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{SectionName}:SendTimeout is {SendTimeout}; expected a time span from 00:00:00.1 to 00:05:00.";
        }

        if (SendBufferBytes is < 4096 or > 64 * 1024 * 1024)
        {
            yield return $"{SectionName}:SendBufferBytes is {SendBufferBytes}; expected a size in bytes from 4096 to 67108864.";
        }

        if (ResubscribeInterval < TimeSpan.FromSeconds(1) || ResubscribeInterval > TimeSpan.FromMinutes(10))
        {
            yield return $"{SectionName}:ResubscribeInterval is {ResubscribeInterval}; expected a time span from 00:00:01 to 00:10:00.";
        }
    }
}
