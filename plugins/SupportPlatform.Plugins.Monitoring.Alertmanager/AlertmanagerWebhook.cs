using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Monitoring.Alertmanager;

/// <summary>
/// Receives Alertmanager's <c>webhook_config</c> notifications (payload version 4) at <c>/hooks/alertmanager</c>.
/// Answers 2xx only once every alert of the notification is stored, 401 for a missing or wrong bearer token, 400 for
/// a payload it cannot read (with the reason), 503 when storing failed (Alertmanager then retries the same payload).
/// </summary>
internal sealed class AlertmanagerWebhook(AlertmanagerSettings settings, IMonitoringAlertSink sink, ILogger<AlertmanagerWebhook> logger) : IWebhookHandler
{
    /// <summary>Attribute prefix of the alert's labels (used as silence matchers on acknowledgement).</summary>
    public const string LabelPrefix = "label.";

    private readonly byte[] expected = Encoding.UTF8.GetBytes("Bearer " + settings.BearerToken);

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != "POST")
        {
            return WebhookResponse.Text(405, "Alertmanager notifications are POSTed.");
        }

        if (request.Header("Authorization") is not { } authorization
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization), expected))
        {
            return WebhookResponse.Text(401, "Missing or wrong bearer token: set http_config.authorization.credentials of the webhook_config to Plugins:alertmanager:bearerToken.");
        }

        List<MonitoringAlert> alerts;
        try
        {
            alerts = Parse(request.Body);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            return WebhookResponse.Text(400, "Not an Alertmanager webhook payload: " + ex.Message);
        }

        if (alerts.Count == 0)
        {
            return WebhookResponse.Json(200, """{"accepted":0,"duplicates":0,"unmapped":0}""");
        }

        IReadOnlyList<AlertReceipt> receipts;
        try
        {
            receipts = await sink.SubmitAsync(alerts, cancellationToken);
        }
        catch (InvalidAlertException ex)
        {
            return WebhookResponse.Text(400, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Alertmanager notification with {Count} alerts could not be stored; Alertmanager will retry", alerts.Count);
            return WebhookResponse.Text(503, "The alerts could not be stored; retry.");
        }

        var accepted = receipts.Count(r => r.Disposition == AlertDisposition.Accepted);
        var duplicates = receipts.Count(r => r.Disposition == AlertDisposition.Duplicate);
        var unmapped = receipts.Count(r => r.Disposition == AlertDisposition.Unmapped);
        return WebhookResponse.Json(200, $$"""{"accepted":{{accepted}},"duplicates":{{duplicates}},"unmapped":{{unmapped}}}""");
    }

    private List<MonitoringAlert> Parse(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the body is not a JSON object.");
        }

        if (!root.TryGetProperty("version", out var version) || version.GetString() != "4")
        {
            throw new FormatException($"payload version {(root.TryGetProperty("version", out var v) ? v.ToString() : "(none)")} is not supported; this receiver reads version 4.");
        }

        if (!root.TryGetProperty("alerts", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("the payload has no 'alerts' array.");
        }

        var externalUrl = root.TryGetProperty("externalURL", out var ext) ? ext.GetString() : null;
        var alerts = new List<MonitoringAlert>();
        var n = 0;
        foreach (var item in list.EnumerateArray())
        {
            n++;
            var labels = Strings(item, "labels");
            var annotations = Strings(item, "annotations");
            var status = Text(item, "status") ?? throw new FormatException($"alert {n} has no status.");
            var fingerprint = Text(item, "fingerprint") ?? throw new FormatException($"alert {n} has no fingerprint.");
            var startsAt = Time(item, "startsAt", n) ?? throw new FormatException($"alert {n} has no startsAt.");
            var resolved = status == "resolved" ? true : status == "firing" ? false : throw new FormatException($"alert {n} has status '{status}'; expected firing or resolved.");
            var endsAt = Time(item, "endsAt", n);
            var system = settings.SystemLabels.Select(l => labels.GetValueOrDefault(l)).FirstOrDefault(s => !string.IsNullOrWhiteSpace(s))
                ?? throw new FormatException($"alert {n} has none of the labels {string.Join(", ", settings.SystemLabels)} that name the system.");
            var name = labels.GetValueOrDefault("alertname") ?? "";
            var security = string.Equals(labels.GetValueOrDefault(settings.SecurityLabel), "security", StringComparison.OrdinalIgnoreCase);
            var attributes = labels.ToDictionary(l => LabelPrefix + l.Key, l => l.Value);
            attributes["fingerprint"] = fingerprint;
            var link = Text(item, "generatorURL") is { Length: > 0 } generator && IsHttp(generator) ? generator : externalUrl is { Length: > 0 } && IsHttp(externalUrl) ? externalUrl : null;
            alerts.Add(new MonitoringAlert
            {
                Source = "alertmanager",
                System = StripPort(system),
                Check = name,
                State = resolved ? AlertState.Ok : Severity(labels.GetValueOrDefault("severity")),
                Category = security ? AlertCategory.Security : AlertCategory.Availability,
                // The fingerprint identifies the alert's label set; with its start, one firing from trigger to resolution.
                DedupKey = fingerprint + "@" + startsAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                OccurredAt = resolved && endsAt is { Year: > 1 } end ? end : startsAt,
                Summary = annotations.GetValueOrDefault("summary") is { Length: > 0 } summary ? summary : $"{name} {(resolved ? "resolved" : "firing")}",
                Details = annotations.GetValueOrDefault("description"),
                Link = link,
                Attributes = attributes,
            });
        }

        return alerts;
    }

    private static AlertState Severity(string? severity) => severity?.ToLowerInvariant() switch
    {
        "warning" or "warn" or "minor" => AlertState.Warning,
        "info" or "none" => AlertState.Warning,
        _ => AlertState.Critical,
    };

    private static string StripPort(string system)
    {
        var colon = system.LastIndexOf(':');
        return colon > 0 && system.IndexOf(':') == colon && int.TryParse(system.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? system[..colon] : system;
    }

    private static bool IsHttp(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset? Time(JsonElement item, string name, int n)
    {
        if (Text(item, name) is not { } text)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new FormatException($"alert {n} has {name} '{text}', which is not an RFC 3339 time.");
    }

    private static Dictionary<string, string> Strings(JsonElement item, string name)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item.TryGetProperty(name, out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in map.EnumerateObject())
            {
                result[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.ToString();
            }
        }

        return result;
    }
}
