using System.Globalization;
using System.Text;

namespace SupportPlatform.Plugins.Monitoring.Syslog;

/// <summary>One syslog message, from either format.</summary>
/// <param name="Facility">0-23 (4 = auth, 10 = authpriv).</param>
/// <param name="Severity">0 (emergency) to 7 (debug).</param>
/// <param name="Timestamp">The sender's time, or the receive time when the message has none (or a 3164 one without year and zone).</param>
/// <param name="HostName">The HOSTNAME field; the sender's address when the message has none.</param>
/// <param name="AppName">APP-NAME (5424) or the TAG without its [pid] (3164); empty when absent.</param>
/// <param name="Text">The free-form message.</param>
internal sealed record SyslogMessage(int Facility, int Severity, DateTimeOffset Timestamp, string HostName, string AppName, string Text)
{
    /// <summary>
    /// Reads one message (without transport framing). Hand-written: the two formats are small and fixed by RFC 5424
    /// section 6 and RFC 3164 section 4, and no maintained .NET library parses received syslog (the ones on NuGet send it).
    /// Lenient like rsyslog: a line with no valid PRI is taken whole as the text of a user.notice message, so nothing a
    /// device sends is dropped for its format.
    /// </summary>
    public static SyslogMessage Parse(ReadOnlySpan<byte> data, string senderAddress, DateTimeOffset receivedAt)
    {
        var line = Encoding.UTF8.GetString(data).TrimEnd('\r', '\n', '\0');
        const int facility = 1, severity = 5;
        var close = line.Length >= 3 && line[0] == '<' ? line.IndexOf('>', StringComparison.Ordinal) : -1;
        if (close is not (> 1 and <= 4)
            || !int.TryParse(line.AsSpan(1, close - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var pri) || pri > 191)
        {
            return new SyslogMessage(facility, severity, receivedAt, senderAddress, "", line);
        }

        var rest = line[(close + 1)..];
        // RFC 5424: the version "1" and a space right after the PRI.
        if (rest.StartsWith("1 ", StringComparison.Ordinal))
        {
            return Parse5424(rest[2..], pri / 8, pri % 8, senderAddress, receivedAt);
        }

        return Parse3164(rest, pri / 8, pri % 8, senderAddress, receivedAt);
    }

    private static SyslogMessage Parse5424(string rest, int facility, int severity, string sender, DateTimeOffset receivedAt)
    {
        var position = 0;
        string Field()
        {
            var space = rest.IndexOf(' ', position);
            var value = space < 0 ? rest[position..] : rest[position..space];
            position = space < 0 ? rest.Length : space + 1;
            return value;
        }

        var timestampText = Field();
        var host = Field();
        var app = Field();
        _ = Field(); // PROCID
        _ = Field(); // MSGID
        SkipStructuredData(rest, ref position);
        var text = position < rest.Length ? rest[position..] : "";
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        var timestamp = timestampText != "-" && DateTimeOffset.TryParse(timestampText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : receivedAt;
        return new SyslogMessage(facility, severity, timestamp, Nil(host) ?? sender, Nil(app) ?? "", text);
    }

    /// <summary>STRUCTURED-DATA: "-" or one or more [id param="value" ...] elements, where \" \\ and \] are escapes.</summary>
    private static void SkipStructuredData(string rest, ref int position)
    {
        if (position >= rest.Length)
        {
            return;
        }

        if (rest[position] == '-')
        {
            position = Math.Min(rest.Length, position + 2);
            return;
        }

        while (position < rest.Length && rest[position] == '[')
        {
            var inQuotes = false;
            position++;
            while (position < rest.Length)
            {
                var c = rest[position];
                if (inQuotes && c == '\\' && position + 1 < rest.Length)
                {
                    position += 2;
                    continue;
                }

                position++;
                if (c == '"')
                {
                    inQuotes = !inQuotes;
                }
                else if (c == ']' && !inQuotes)
                {
                    break;
                }
            }
        }

        if (position < rest.Length && rest[position] == ' ')
        {
            position++;
        }
    }

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private static SyslogMessage Parse3164(string rest, int facility, int severity, string sender, DateTimeOffset receivedAt)
    {
        // "Mmm dd hh:mm:ss " (day padded with a space); senders without a clock leave it out.
        var timestamp = receivedAt;
        if (rest.Length >= 16 && rest[15] == ' ' && Array.IndexOf(Months, rest[..3]) is var month and >= 0
            && int.TryParse(rest.AsSpan(4, 2).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            && TimeOnly.TryParseExact(rest.AsSpan(7, 8), "HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            // No year and no zone: taken as UTC in the year that puts it nearest the receive time.
            var year = receivedAt.UtcDateTime.Year;
            if (day is >= 1 and <= 31 && day <= DateTime.DaysInMonth(year, month + 1))
            {
                var candidate = new DateTimeOffset(year, month + 1, day, time.Hour, time.Minute, time.Second, TimeSpan.Zero);
                if (candidate - receivedAt > TimeSpan.FromDays(180))
                {
                    candidate = candidate.AddYears(-1);
                }

                timestamp = candidate;
            }

            rest = rest[16..];
        }

        // HOSTNAME, unless the next word is already the TAG ("sshd[123]:" or "su:").
        var host = sender;
        var firstSpace = rest.IndexOf(' ', StringComparison.Ordinal);
        if (firstSpace > 0)
        {
            var word = rest[..firstSpace];
            if (!word.EndsWith(':') && !word.Contains('[', StringComparison.Ordinal))
            {
                host = word;
                rest = rest[(firstSpace + 1)..];
            }
        }

        var app = "";
        var colon = rest.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0 && colon <= 48 && !rest[..colon].Contains(' ', StringComparison.Ordinal))
        {
            var tag = rest[..colon];
            var bracket = tag.IndexOf('[', StringComparison.Ordinal);
            app = bracket > 0 ? tag[..bracket] : tag;
            rest = rest[(colon + 2)..];
        }

        return new SyslogMessage(facility, severity, timestamp, host, app, rest);
    }

    private static string? Nil(string value) => value is "-" or "" ? null : value;
}
