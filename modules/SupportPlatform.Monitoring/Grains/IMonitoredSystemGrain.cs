namespace SupportPlatform.Monitoring.Grains;

/// <summary>
/// One monitored system (key: "s-" + the system id): its checks with their state and last output, deduplication of
/// alerts, flapping, the open incident and its ticket, maintenance and the history uptime is computed from.
/// </summary>
[Alias("sp.monitoring.system-grain")]
internal interface IMonitoredSystemGrain : IGrainWithStringKey
{
    /// <summary>Creates or updates the system (account, name, host names, own rules).</summary>
    [Alias("define")]
    Task<SystemView> Define(DefineSystem definition);

    /// <summary>The system, or null when it was never defined.</summary>
    [Alias("get")]
    Task<SystemView?> Get();

    /// <summary>Applies and durably stores alerts; duplicates change nothing. Results are in the alerts' order.</summary>
    [Alias("ingest")]
    Task<IngestResult[]> Ingest(IncomingAlert[] alerts);

    /// <summary>Staff acknowledged incident <paramref name="incident"/>'s ticket: acknowledge its alerts at their sources (once).</summary>
    [Alias("ticket-acknowledged"), Orleans.Concurrency.OneWay]
    Task TicketAcknowledged(int incident, string author);

    /// <summary>The account's rules or the maintenance windows changed: read them again.</summary>
    [Alias("refresh")]
    Task Refresh();
}

/// <summary>Grain keys of systems.</summary>
internal static class SystemKeys
{
    /// <summary>System ids: 1–64 lowercase letters, digits, '-' and '.', starting with a letter or digit.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 64 } && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.');

    /// <summary>"s-" keeps Orleans from reading a hex-looking id as a number.</summary>
    public static string Grain(string id) => "s-" + id;

    public static string IncidentId(string systemId, int number) => $"{systemId}#{number}";

    public static bool TryParseIncident(string reference, out string systemId, out int number)
    {
        var hash = reference.LastIndexOf('#');
        systemId = hash > 0 ? reference[..hash] : "";
        return int.TryParse(reference.AsSpan(hash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number) && hash > 0;
    }
}
