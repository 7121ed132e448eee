using System.Globalization;
using System.Text.RegularExpressions;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Syslog;

/// <summary>
/// Counts the lines each rule matches, per monitored host and origin address, in a sliding window. The line that
/// reaches the rule's threshold raises one alert (a new problem, with its own dedup key); more matches while it is
/// raised only add to its count; once a whole window passes without a match the problem is reported recovered.
/// Counts live in memory: a restart starts them again (an alert already raised is in the outbox and is not lost).
/// </summary>
internal sealed class SecurityWatch(IReadOnlyList<WatchRule> rules, AlertOutbox outbox)
{
    public const string Source = "syslog";

    /// <summary>Most windows kept at once; beyond it the least recently hit are dropped (a spray from many addresses).</summary>
    public const int MaxWindows = 100_000;

    private const int LinesKept = 10;
    private readonly Dictionary<(string Rule, string Host, string Address), Window> _windows = [];
    private readonly Lock _lock = new();

    private sealed class Window(WatchRule rule)
    {
        public WatchRule Rule { get; } = rule;

        public Queue<DateTimeOffset> Hits { get; } = new();

        public Queue<string> Lines { get; } = new();

        public DateTimeOffset LastHit { get; set; }

        public string? RaisedKey { get; set; }

        public int RaisedCount { get; set; }
    }

    public int WindowCount
    {
        get
        {
            lock (_lock)
            {
                return _windows.Count;
            }
        }
    }

    /// <summary>Runs every rule on one message; returns how many rules matched.</summary>
    public int Observe(SyslogMessage message, DateTimeOffset now)
    {
        var matched = 0;
        foreach (var rule in rules)
        {
            if (rule.AppName is not null && !string.Equals(rule.AppName, message.AppName, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            Match match;
            try
            {
                match = rule.Pattern.Match(message.Text);
            }
            catch (RegexMatchTimeoutException)
            {
                // A line crafted to make the pattern backtrack: it counts as no match rather than stalling the receiver.
                continue;
            }

            if (!match.Success)
            {
                continue;
            }

            matched++;
            var address = rule.ByAddress && match.Groups["address"].Success ? match.Groups["address"].Value : "";
            lock (_lock)
            {
                Hit(rule, message, address, now);
            }
        }

        return matched;
    }

    private void Hit(WatchRule rule, SyslogMessage message, string address, DateTimeOffset now)
    {
        var key = (rule.Name, message.HostName.ToLowerInvariant(), address);
        if (!_windows.TryGetValue(key, out var window))
        {
            if (_windows.Count >= MaxWindows)
            {
                var oldest = _windows.Where(w => w.Value.RaisedKey is null).MinBy(w => w.Value.LastHit);
                _windows.Remove(oldest.Key);
            }

            window = new Window(rule);
            _windows[key] = window;
        }

        window.LastHit = now;
        window.Hits.Enqueue(now);
        while (window.Hits.Count > 0 && now - window.Hits.Peek() > rule.Window)
        {
            window.Hits.Dequeue();
        }

        window.Lines.Enqueue($"{message.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z {message.HostName} {(message.AppName.Length > 0 ? message.AppName + ": " : "")}{message.Text}");
        if (window.Lines.Count > LinesKept)
        {
            window.Lines.Dequeue();
        }

        if (window.RaisedKey is not null)
        {
            window.RaisedCount++;
            return;
        }

        if (window.Hits.Count < rule.Threshold)
        {
            return;
        }

        window.RaisedKey = string.Create(CultureInfo.InvariantCulture, $"{Source}|{rule.Name}|{key.Item2}|{address}|{now.UtcTicks}");
        window.RaisedCount = window.Hits.Count;
        var from = address.Length > 0 ? $" from {address}" : "";
        outbox.Add(new MonitoringAlert
        {
            Source = Source,
            System = message.HostName,
            Check = Check(rule, address),
            State = rule.State,
            Category = rule.Category,
            DedupKey = window.RaisedKey,
            OccurredAt = now,
            Summary = Cut($"{rule.Name}: {window.Hits.Count} matching log lines{from} within {Describe(rule.Window)} on {message.HostName}", MonitoringAlert.MaxSummary),
            Details = Cut(string.Join('\n', window.Lines), MonitoringAlert.MaxDetails),
            Metrics = new Dictionary<string, double> { ["matches"] = window.Hits.Count },
            Attributes = address.Length > 0 ? new Dictionary<string, string> { ["rule"] = rule.Name, ["address"] = address } : new Dictionary<string, string> { ["rule"] = rule.Name },
        });
    }

    /// <summary>Reports raised problems as recovered once a whole window has passed without a match, and forgets idle windows.</summary>
    public void Sweep(DateTimeOffset now)
    {
        lock (_lock)
        {
            foreach (var (key, window) in _windows.ToList())
            {
                if (now - window.LastHit <= window.Rule.Window)
                {
                    continue;
                }

                if (window.RaisedKey is { } raised)
                {
                    var from = key.Address.Length > 0 ? $" from {key.Address}" : "";
                    outbox.Add(new MonitoringAlert
                    {
                        Source = Source,
                        System = key.Host,
                        Check = Check(window.Rule, key.Address),
                        State = AlertState.Ok,
                        Category = window.Rule.Category,
                        DedupKey = raised,
                        OccurredAt = now,
                        Summary = Cut($"{window.Rule.Name}: no matching log lines{from} for {Describe(window.Rule.Window)} ({window.RaisedCount} in all while raised)", MonitoringAlert.MaxSummary),
                        Metrics = new Dictionary<string, double> { ["matches"] = window.RaisedCount },
                    });
                }

                _windows.Remove(key);
            }
        }
    }

    private static string Check(WatchRule rule, string address) => address.Length > 0 ? $"{rule.Name} {address}" : rule.Name;

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];

    internal static string Describe(TimeSpan window) =>
        window.TotalMinutes >= 1 && window.TotalSeconds % 60 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{window.TotalMinutes:0} min")
            : string.Create(CultureInfo.InvariantCulture, $"{window.TotalSeconds:0} s");
}
