using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Webhooks;

namespace Contoso.SupportPlugin;

/// <summary>
/// Receives alerts at /hooks/&lt;plugin id&gt;/ as JSON:
/// <c>{"id":"evt-1","system":"web01","check":"disk","state":"critical","at":"2026-01-01T10:00:00Z","summary":"Disk full"}</c>.
/// 401 without the secret; 400 with the reason for a bad payload; 2xx only once the platform stored the alert;
/// 503 when it could not (the sender retries, and the retry is recognised by its id).
/// </summary>
internal sealed class AlertWebhook(Settings settings, IMonitoringAlertSink sink, ILogger<AlertWebhook> logger) : IWebhookHandler
{
    public const string Source = "contoso-supportplugin-id";

    private readonly byte[] expected = Encoding.UTF8.GetBytes("Bearer " + settings.Secret);

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != "POST")
        {
            return WebhookResponse.Text(405, "Alerts are POSTed.");
        }

        // The host does not authenticate webhooks: the plugin does, in constant time.
        if (request.Header("Authorization") is not { } authorization
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization), expected))
        {
            return WebhookResponse.Text(401, "Missing or wrong secret: send 'Authorization: Bearer <secret>'.");
        }

        MonitoringAlert alert;
        try
        {
            alert = Parse(request.Body);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return WebhookResponse.Text(400, "Not an alert: " + ex.Message);
        }

        try
        {
            var receipt = (await sink.SubmitAsync([alert], cancellationToken))[0];
            return WebhookResponse.Json(200, $$"""{"disposition":"{{receipt.Disposition.ToString().ToLowerInvariant()}}"}""");
        }
        catch (InvalidAlertException ex)
        {
            return WebhookResponse.Text(400, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "An alert could not be stored; the sender will retry");
            return WebhookResponse.Text(503, "The alert could not be stored; retry.");
        }
    }

    private static MonitoringAlert Parse(ReadOnlyMemory<byte> body)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the body is not a JSON object.");
        }

        string Required(string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
                ? text
                : throw new FormatException($"'{name}' is missing.");

        var state = Required("state").ToLowerInvariant() switch
        {
            "ok" => AlertState.Ok,
            "warning" => AlertState.Warning,
            "critical" => AlertState.Critical,
            "unknown" => AlertState.Unknown,
            var other => throw new FormatException($"state '{other}' is not ok, warning, critical or unknown."),
        };
        var at = DateTimeOffset.TryParse(Required("at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : throw new FormatException("'at' is not an ISO 8601 time.");
        return new MonitoringAlert
        {
            Source = Source,
            System = Required("system"),
            Check = root.TryGetProperty("check", out var check) && check.ValueKind == JsonValueKind.String ? check.GetString()! : "",
            State = state,
            // The sender's event id: the same on every retry, so the platform stores it once.
            DedupKey = Required("id"),
            OccurredAt = at,
            Summary = Required("summary"),
        };
    }
}
