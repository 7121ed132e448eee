using System.Text.Json;
using System.Text.Json.Serialization;
using SupportPlatform.Sdk.Telephony;

namespace SupportPlatform.Plugins.Telephony.Asterisk;

/// <summary>Where a call stands in the Stasis application.</summary>
internal enum CallPhase
{
    Routing,
    Dialing,
    Connected,
    Greeting,
    Recording,
    Finished,
}

/// <summary>One staff leg rung for a call.</summary>
internal sealed class CallLeg
{
    public required string ChannelId { get; init; }

    public required string Number { get; init; }

    public int Attempt { get; init; }

    public bool Gone { get; set; }
}

/// <summary>An event the platform has not acknowledged yet (kept on disk until it has).</summary>
internal sealed class PendingEvent
{
    public required CallEventKind Kind { get; init; }

    public required string EventId { get; init; }

    public DateTimeOffset At { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }

    public string? AgentNumber { get; init; }

    public double? TalkSeconds { get; init; }

    public string? RecordingId { get; init; }

    public string? RecordingUrl { get; init; }

    public double? RecordingSeconds { get; init; }

    public string? Status { get; init; }
}

/// <summary>
/// The adapter's record of one call (keyed by the caller's channel id): what Asterisk told it, what it did, and the
/// events still to report. It is written to disk at every change, so a reconnect or a restart of the host resumes the
/// call instead of forgetting it.
/// </summary>
internal sealed class CallRecord
{
    public required string CallId { get; init; }

    public string From { get; set; } = "";

    public string To { get; set; } = "";

    public string? CallerName { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public CallPhase Phase { get; set; }

    public int Attempt { get; set; }

    public List<CallLeg> Legs { get; init; } = [];

    public string? AgentChannelId { get; set; }

    public string? AgentNumber { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    public string? RecordingName { get; set; }

    public int MaxVoicemailSeconds { get; set; } = 120;

    public bool CallerGone { get; set; }

    public bool VoicemailTaken { get; set; }

    /// <summary>The Asterisk time of the last event seen for this call.</summary>
    public DateTimeOffset LastEventAt { get; set; }

    public List<PendingEvent> Pending { get; init; } = [];

    public HashSet<string> Queued { get; init; } = new(StringComparer.Ordinal);

    public string BridgeId => "sp-" + CallId;

    public string GreetingPlaybackId => CallId + "-greeting";

    /// <summary>Queues an event for the platform, once per event id.</summary>
    public void Queue(PendingEvent pending)
    {
        if (Queued.Add(pending.EventId))
        {
            Pending.Add(pending);
        }
    }
}

/// <summary>The calls in progress, one JSON file each under the plugin's data folder, written atomically.</summary>
internal sealed class CallJournal
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    private readonly string _folder;
    private readonly Dictionary<string, CallRecord> _calls = new(StringComparer.Ordinal);

    public CallJournal(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            var record = JsonSerializer.Deserialize<CallRecord>(File.ReadAllBytes(file), Json);
            if (record is not null)
            {
                _calls[record.CallId] = record;
            }
        }
    }

    public IReadOnlyCollection<CallRecord> All => _calls.Values.ToList();

    public CallRecord? Find(string callId) => _calls.GetValueOrDefault(callId);

    public CallRecord? FindByLeg(string channelId) =>
        _calls.Values.FirstOrDefault(c => c.AgentChannelId == channelId || c.Legs.Any(l => l.ChannelId == channelId));

    public CallRecord? FindByPlayback(string playbackId) => _calls.Values.FirstOrDefault(c => c.GreetingPlaybackId == playbackId);

    public CallRecord? FindByRecording(string name) => _calls.Values.FirstOrDefault(c => c.RecordingName == name);

    public void Add(CallRecord record)
    {
        _calls[record.CallId] = record;
        Save(record);
    }

    /// <summary>Writes the record (temporary file, flushed, then renamed over the old one), or removes it once the call is finished and reported.</summary>
    public void Save(CallRecord record)
    {
        var path = PathOf(record.CallId);
        if (record.Phase == CallPhase.Finished && record.Pending.Count == 0)
        {
            _calls.Remove(record.CallId);
            File.Delete(path);
            return;
        }

        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, record, Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private string PathOf(string callId) =>
        Path.Combine(_folder, string.Concat(callId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')) + ".json");
}
