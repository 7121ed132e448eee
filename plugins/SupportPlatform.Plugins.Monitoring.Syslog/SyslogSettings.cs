using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Syslog;

/// <summary>One watch rule: so many matching lines (from one address, when the pattern captures one) within a window raise an alert.</summary>
internal sealed record WatchRule(string Name, Regex Pattern, string? AppName, int Threshold, TimeSpan Window, AlertState State, AlertCategory Category)
{
    /// <summary>Whether the pattern has a group named <c>address</c> that separates the counts by origin.</summary>
    public bool ByAddress => Pattern.GetGroupNumbers().Any(n => Pattern.GroupNameFromNumber(n) == "address");
}

/// <summary>Settings under <c>Plugins:monitoring-syslog</c>, checked at load.</summary>
internal sealed record SyslogSettings(
    IPAddress BindAddress,
    int UdpPort,
    int TcpPort,
    int MaxMessageBytes,
    int MaxConnections,
    IReadOnlyList<IPNetwork> AllowedSenders,
    IReadOnlyList<WatchRule> Rules)
{
    /// <summary>Matching a hostile line must not take the receiver down: each match gives up after this long.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>The rules used when none are configured: brute force on SSH and on PAM logins.</summary>
    public static IReadOnlyList<WatchRule> DefaultRules { get; } =
    [
        new("ssh-failed-login",
            new Regex(@"^Failed (?:password|publickey|keyboard-interactive/pam|none) for (?:invalid user )?\S+ from (?<address>[0-9A-Fa-f:.]+)", RegexOptions.CultureInvariant, MatchTimeout),
            "sshd", 5, TimeSpan.FromMinutes(10), AlertState.Critical, AlertCategory.Security),
        new("pam-auth-failure",
            new Regex(@"authentication failure;.*\brhost=(?<address>[0-9A-Fa-f:.]+)", RegexOptions.CultureInvariant, MatchTimeout),
            null, 10, TimeSpan.FromMinutes(10), AlertState.Critical, AlertCategory.Security),
    ];

    public static SyslogSettings Read(string pluginId, IConfiguration configuration)
    {
        var root = $"Plugins:{pluginId}";
        int Number(IConfiguration section, string where, string key, int fallback, int min, int max)
        {
            if (section[key] is not { Length: > 0 } text)
            {
                return fallback;
            }

            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                ? value
                : throw new InvalidOperationException($"{where}:{key} is '{text}': give a whole number from {min} to {max}.");
        }

        var bindText = configuration["bindAddress"] is { Length: > 0 } b ? b.Trim() : "0.0.0.0";
        if (!IPAddress.TryParse(bindText, out var bind))
        {
            throw new InvalidOperationException($"{root}:bindAddress is '{bindText}': give an IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1.");
        }

        var udp = Number(configuration, root, "udpPort", 5514, 0, 65535);
        var tcp = Number(configuration, root, "tcpPort", 5514, 0, 65535);
        if (udp == 0 && tcp == 0)
        {
            throw new InvalidOperationException($"{root}: udpPort and tcpPort are both 0; enable at least one (default 5514).");
        }

        var allowed = new List<IPNetwork>();
        foreach (var child in configuration.GetSection("allowedSenders").GetChildren())
        {
            var text = child.Value?.Trim() ?? "";
            if (IPNetwork.TryParse(text, out var network))
            {
                allowed.Add(network);
            }
            else if (IPAddress.TryParse(text, out var single))
            {
                allowed.Add(new IPNetwork(single, single.GetAddressBytes().Length * 8));
            }
            else
            {
                throw new InvalidOperationException($"{root}:allowedSenders:{child.Key} is '{text}': give an address or a network, e.g. 10.0.0.0/8.");
            }
        }

        var rules = new List<WatchRule>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in configuration.GetSection("rules").GetChildren())
        {
            var where = $"{root}:rules:{section.Key}";
            var name = section["name"] is { Length: > 0 } n ? n.Trim() : throw new InvalidOperationException($"{where}:name is not set: give the rule a short name, e.g. ssh-failed-login.");
            if (!names.Add(name))
            {
                throw new InvalidOperationException($"{where}:name '{name}' is used by another rule.");
            }

            var patternText = section["pattern"] is { Length: > 0 } p ? p : throw new InvalidOperationException($"{where}:pattern is not set: give a regular expression for the log text, with a group named 'address' to count per origin.");
            Regex pattern;
            try
            {
                pattern = new Regex(patternText, RegexOptions.CultureInvariant, MatchTimeout);
            }
            catch (ArgumentException exception)
            {
                throw new InvalidOperationException($"{where}:pattern is not a valid regular expression: {exception.Message}", exception);
            }

            var stateText = section["state"] is { Length: > 0 } s ? s.Trim() : "critical";
            if (stateText is not ("critical" or "warning"))
            {
                throw new InvalidOperationException($"{where}:state is '{stateText}': use critical or warning.");
            }

            var categoryText = section["category"] is { Length: > 0 } c ? c.Trim() : "security";
            if (categoryText is not ("security" or "availability"))
            {
                throw new InvalidOperationException($"{where}:category is '{categoryText}': use security or availability.");
            }

            rules.Add(new WatchRule(
                name,
                pattern,
                section["appName"] is { Length: > 0 } app ? app.Trim() : null,
                Number(section, where, "threshold", 5, 1, 100_000),
                TimeSpan.FromSeconds(Number(section, where, "windowSeconds", 600, 1, 7 * 86_400)),
                stateText == "critical" ? AlertState.Critical : AlertState.Warning,
                categoryText == "security" ? AlertCategory.Security : AlertCategory.Availability));
        }

        return new SyslogSettings(
            bind,
            udp,
            tcp,
            Number(configuration, root, "maxMessageBytes", 8192, 480, 1_048_576),
            Number(configuration, root, "maxConnections", 256, 1, 10_000),
            allowed,
            rules.Count > 0 ? rules : DefaultRules);
    }

    public bool Allows(IPAddress sender)
    {
        if (AllowedSenders.Count == 0)
        {
            return true;
        }

        var address = sender.IsIPv4MappedToIPv6 ? sender.MapToIPv4() : sender;
        return AllowedSenders.Any(n => n.Contains(address));
    }
}
