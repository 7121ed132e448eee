using System.Globalization;
using Microsoft.Extensions.Configuration;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Probes;

/// <summary>What a probe checks.</summary>
internal enum ProbeKind
{
    Http,
    Tcp,
    Tls,
    Dns,
}

/// <summary>One probe from <c>Plugins:monitoring-probes:probes</c>, checked at load.</summary>
internal sealed record ProbeDefinition(
    string Id,
    string System,
    string Check,
    ProbeKind Kind,
    string Target,
    TimeSpan Interval,
    TimeSpan Timeout,
    AlertCategory Category)
{
    /// <summary>HTTP: the status codes that are OK (default 200-399).</summary>
    public (int From, int To) ExpectStatus { get; init; } = (200, 399);

    /// <summary>HTTP: text the body must contain.</summary>
    public string? ExpectText { get; init; }

    /// <summary>HTTP: a slower answer is a warning.</summary>
    public TimeSpan? WarnLatency { get; init; }

    /// <summary>TLS: days before expiry that warn / are critical.</summary>
    public int WarnDays { get; init; } = 21;

    public int CriticalDays { get; init; } = 7;

    /// <summary>TLS: accept a certificate that does not chain to a trusted root (internal CAs); expiry still counts.</summary>
    public bool AllowUntrusted { get; init; }

    /// <summary>DNS: an address the name must resolve to.</summary>
    public string? ExpectAddress { get; init; }

    /// <summary>While a problem lasts, it is reported again this often (so a lost incident is re-opened).</summary>
    public TimeSpan Repeat { get; init; } = TimeSpan.FromMinutes(15);

    public static IReadOnlyList<ProbeDefinition> Read(string pluginId, IConfiguration configuration)
    {
        var probes = new List<ProbeDefinition>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in configuration.GetSection("probes").GetChildren())
        {
            var where = $"Plugins:{pluginId}:probes:{section.Key}";
            string Required(string key, string what) =>
                string.IsNullOrWhiteSpace(section[key]) ? throw new InvalidOperationException($"{where}:{key} is not set: {what}.") : section[key]!.Trim();
            int Number(string key, int fallback, int min, int max)
            {
                if (section[key] is not { Length: > 0 } text)
                {
                    return fallback;
                }

                return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                    ? value
                    : throw new InvalidOperationException($"{where}:{key} is '{text}': give a whole number from {min} to {max}.");
            }

            var system = Required("system", "the host name of the monitored system (as mapped with /api/monitoring/systems)");
            var kindText = Required("kind", "http, tcp, tls or dns");
            if (!Enum.TryParse<ProbeKind>(kindText, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || kindText.Any(char.IsDigit))
            {
                throw new InvalidOperationException($"{where}:kind is '{kindText}': use http, tcp, tls or dns.");
            }

            var target = Required("target", kind switch
            {
                ProbeKind.Http => "the address to fetch, e.g. https://portal.client.example/health",
                ProbeKind.Dns => "the name to resolve",
                _ => "host:port",
            });
            switch (kind)
            {
                case ProbeKind.Http when !Uri.TryCreate(target, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"):
                    throw new InvalidOperationException($"{where}:target '{target}' is not an http(s) address.");
                case ProbeKind.Tcp or ProbeKind.Tls when !TryHostPort(target, out _, out _):
                    throw new InvalidOperationException($"{where}:target '{target}' must be host:port, e.g. mail.client.example:993.");
            }

            var check = section["check"] is { Length: > 0 } c ? c.Trim() : $"{kind.ToString().ToLowerInvariant()} {target}";
            var id = $"{system}/{check}";
            if (!ids.Add(id))
            {
                throw new InvalidOperationException($"{where}: a second probe named '{check}' on '{system}'; give each probe of a system its own check name.");
            }

            var category = section["category"] is { Length: > 0 } cat
                ? Enum.TryParse<AlertCategory>(cat, ignoreCase: true, out var parsed) && !cat.Any(char.IsDigit) ? parsed : throw new InvalidOperationException($"{where}:category is '{cat}': use availability or security.")
                : AlertCategory.Availability;
            var expect = (200, 399);
            if (section["expectStatus"] is { Length: > 0 } status)
            {
                var single = Number("expectStatus", 200, 100, 599);
                expect = (single, single);
                _ = status;
            }

            var warnDays = Number("warnDays", 21, 0, 3650);
            var criticalDays = Number("criticalDays", 7, 0, 3650);
            if (criticalDays > warnDays)
            {
                throw new InvalidOperationException($"{where}: criticalDays ({criticalDays}) is more than warnDays ({warnDays}).");
            }

            probes.Add(new ProbeDefinition(
                id, system, check, kind, target,
                TimeSpan.FromSeconds(Number("intervalSeconds", 60, 1, 86_400)),
                TimeSpan.FromSeconds(Number("timeoutSeconds", 10, 1, 300)),
                category)
            {
                ExpectStatus = expect,
                ExpectText = section["expectText"] is { Length: > 0 } text ? text : null,
                WarnLatency = section["warnMilliseconds"] is { Length: > 0 } ? TimeSpan.FromMilliseconds(Number("warnMilliseconds", 0, 1, 600_000)) : null,
                WarnDays = warnDays,
                CriticalDays = criticalDays,
                AllowUntrusted = bool.TryParse(section["allowUntrusted"], out var untrusted) && untrusted,
                ExpectAddress = section["expectAddress"] is { Length: > 0 } address ? address.Trim() : null,
                Repeat = TimeSpan.FromMinutes(Number("repeatMinutes", 15, 1, 1440)),
            });
        }

        return probes;
    }

    public static bool TryHostPort(string target, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = target.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = target[..colon].Trim('[', ']');
        return host.Length > 0;
    }
}
