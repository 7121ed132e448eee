using System.Globalization;
using System.Text.Json;

namespace SupportPlatform.Plugins.Telephony.Asterisk;

/// <summary>The fields of an ARI event the application uses (the event's <c>type</c> says which are set).</summary>
internal sealed record AriEvent(string Type, DateTimeOffset Timestamp)
{
    public string? ChannelId { get; init; }

    public string? ChannelState { get; init; }

    public string? CallerNumber { get; init; }

    public string? CallerName { get; init; }

    public string? Exten { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];

    public int? Cause { get; init; }

    public string? RecordingName { get; init; }

    public string? RecordingState { get; init; }

    public int? RecordingDuration { get; init; }

    public string? PlaybackId { get; init; }

    /// <summary>Parses one WebSocket message; null for a message that is not an event object.</summary>
    public static AriEvent? Parse(string json, DateTimeOffset receivedAt)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var timestamp = root.TryGetProperty("timestamp", out var t) && t.ValueKind == JsonValueKind.String && ParseTime(t.GetString()!) is { } parsed ? parsed : receivedAt;
        var result = new AriEvent(type.GetString()!, timestamp);
        if (root.TryGetProperty("channel", out var channel) && channel.ValueKind == JsonValueKind.Object)
        {
            result = result with
            {
                ChannelId = Text(channel, "id"),
                ChannelState = Text(channel, "state"),
                CallerNumber = channel.TryGetProperty("caller", out var caller) ? Text(caller, "number") : null,
                CallerName = channel.TryGetProperty("caller", out var callerName) ? Text(callerName, "name") : null,
                Exten = channel.TryGetProperty("dialplan", out var dialplan) ? Text(dialplan, "exten") : null,
            };
        }

        if (root.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Array)
        {
            result = result with { Args = args.EnumerateArray().Select(a => a.ValueKind == JsonValueKind.String ? a.GetString()! : a.ToString()).ToList() };
        }

        if (root.TryGetProperty("cause", out var cause) && cause.ValueKind == JsonValueKind.Number)
        {
            result = result with { Cause = cause.GetInt32() };
        }

        if (root.TryGetProperty("recording", out var recording) && recording.ValueKind == JsonValueKind.Object)
        {
            result = result with
            {
                RecordingName = Text(recording, "name"),
                RecordingState = Text(recording, "state"),
                RecordingDuration = recording.TryGetProperty("duration", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetInt32() : null,
            };
        }

        if (root.TryGetProperty("playback", out var playback) && playback.ValueKind == JsonValueKind.Object)
        {
            result = result with { PlaybackId = Text(playback, "id") };
        }

        return result;
    }

    /// <summary>ARI's timestamps look like <c>2026-12-15T10:00:00.000+0000</c> (no colon in the offset).</summary>
    public static DateTimeOffset? ParseTime(string value)
    {
        if (value.Length > 5 && value[^5] is '+' or '-' && value[^4..].All(char.IsAsciiDigit))
        {
            value = value[..^2] + ":" + value[^2..];
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
