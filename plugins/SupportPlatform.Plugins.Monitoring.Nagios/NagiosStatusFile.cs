using System.Globalization;
using System.Text;

namespace SupportPlatform.Plugins.Monitoring.Nagios;

/// <summary>One host or service of Nagios' <c>status.dat</c> (a <c>hoststatus</c> or <c>servicestatus</c> block).</summary>
/// <param name="Host">host_name.</param>
/// <param name="Service">service_description; empty for a host.</param>
/// <param name="State">current_state: 0 OK/UP, 1 WARNING/DOWN, 2 CRITICAL/UNREACHABLE, 3 UNKNOWN.</param>
/// <param name="Checked">has_been_checked is 1 (a never checked host or service is pending: it has no state yet).</param>
/// <param name="Hard">state_type is 1 (hard): the state Nagios notifies about.</param>
/// <param name="LastHardState">last_hard_state.</param>
/// <param name="ProblemId">current_problem_id (0 while OK).</param>
/// <param name="LastProblemId">last_problem_id.</param>
/// <param name="LastStateChange">
/// last_state_change, or (0: the state never changed since Nagios started) programstatus' program_start, so the time is
/// the same on every reading of one Nagios run; null when neither is known.
/// </param>
/// <param name="Output">plugin_output.</param>
/// <param name="LongOutput">long_plugin_output with its escaped line breaks restored, or null.</param>
internal sealed record NagiosStatusEntry(
    string Host, string Service, int State, bool Checked, bool Hard, int LastHardState, string ProblemId, string LastProblemId,
    DateTimeOffset? LastStateChange, string Output, string? LongOutput);

/// <summary>
/// Reads Nagios Core's <c>status.dat</c>. Hand-written because no maintained .NET library reads it; the format is small:
/// blocks <c>name {</c> … <c>}</c>, one <c>key=value</c> per line (the value runs to the end of the line and may itself
/// contain <c>=</c>), <c>#</c> comment lines, and line breaks inside values written as the two characters <c>\n</c>
/// (Nagios escapes <c>\</c> as <c>\\</c>). Blocks other than hoststatus and servicestatus (info, programstatus,
/// contactstatus, comments, downtimes, and any a later version adds) are skipped, as are keys it does not know.
/// </summary>
internal static class NagiosStatusFile
{
    public static IReadOnlyList<NagiosStatusEntry> Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var entries = new List<NagiosStatusEntry>();
        string? block = null;
        Dictionary<string, string>? fields = null;
        DateTimeOffset? programStart = null;
        var number = 0;
        while (reader.ReadLine() is { } raw)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (block is null)
            {
                if (!line.EndsWith('{'))
                {
                    throw new FormatException($"status.dat line {number}: expected the start of a block ('name {{'), found '{Short(line)}'.");
                }

                block = line[..^1].Trim();
                fields = new Dictionary<string, string>(StringComparer.Ordinal);
                continue;
            }

            if (line == "}")
            {
                if (block == "programstatus")
                {
                    programStart = Epoch(fields!, "program_start");
                }
                else if (Entry(block, fields!, programStart) is { } entry)
                {
                    entries.Add(entry);
                }

                block = null;
                fields = null;
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"status.dat line {number}: expected key=value inside '{block}', found '{Short(line)}'.");
            }

            // Values keep their own leading spaces: only the tab indentation before the key is layout.
            fields![line[..equals]] = raw.TrimStart()[(equals + 1)..].TrimEnd('\r');
        }

        if (block is not null)
        {
            // Nagios writes the file to a temporary name and renames it, so a cut-off file is not one it wrote.
            throw new FormatException($"status.dat ends inside a '{block}' block (the file is cut off).");
        }

        return entries;
    }

    private static NagiosStatusEntry? Entry(string block, Dictionary<string, string> fields, DateTimeOffset? programStart)
    {
        if (block is not ("hoststatus" or "servicestatus") || !fields.TryGetValue("host_name", out var host) || host.Length == 0)
        {
            return null;
        }

        var service = block == "servicestatus" ? fields.GetValueOrDefault("service_description") ?? "" : "";
        if (block == "servicestatus" && service.Length == 0)
        {
            return null;
        }

        return new NagiosStatusEntry(
            host,
            service,
            Int(fields, "current_state"),
            Int(fields, "has_been_checked") == 1,
            Int(fields, "state_type") == 1,
            Int(fields, "last_hard_state"),
            fields.GetValueOrDefault("current_problem_id") ?? "0",
            fields.GetValueOrDefault("last_problem_id") ?? "0",
            Epoch(fields, "last_state_change") ?? programStart,
            Unescape(fields.GetValueOrDefault("plugin_output") ?? ""),
            fields.GetValueOrDefault("long_plugin_output") is { Length: > 0 } longOutput ? Unescape(longOutput) : null);
    }

    private static DateTimeOffset? Epoch(Dictionary<string, string> fields, string key) =>
        long.TryParse(fields.GetValueOrDefault(key), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && seconds > 0 && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static int Int(Dictionary<string, string> fields, string key) =>
        int.TryParse(fields.GetValueOrDefault(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <summary>Nagios writes a line break inside a value as <c>\n</c> and a backslash as <c>\\</c>.</summary>
    private static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length && value[i + 1] is 'n' or '\\')
            {
                text.Append(value[i + 1] == 'n' ? '\n' : '\\');
                i++;
            }
            else
            {
                text.Append(value[i]);
            }
        }

        return text.ToString();
    }

    private static string Short(string line) => line.Length > 60 ? line[..60] + "…" : line;
}
