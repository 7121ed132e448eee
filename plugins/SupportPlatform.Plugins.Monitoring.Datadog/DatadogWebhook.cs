using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Monitoring.Datadog;

/// <summary>
/// Receives Datadog webhook notifications at <c>/hooks/datadog</c>: the payload template documented in the README
/// (with <c>$ALERT_CYCLE_KEY</c>, <c>$ALERT_TRANSITION</c>, <c>$HOSTNAME</c>...) and Datadog's default payload
/// (title, body, date, id). Datadog retries on 5xx, so the same payload may arrive several times: the sink
/// recognises it. 2xx only after storage; 401 for a missing or wrong secret; 400 with the reason for a bad payload.
/// </summary>
internal sealed partial class DatadogWebhook(DatadogSettings settings, IMonitoringAlertSink sink, ILogger<DatadogWebhook> logger) : IWebhookHandler
{
    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != "POST")
        {
            return WebhookResponse.Text(405, "Datadog webhooks are POSTed.");
        }

        if (!Authenticated(request))
        {
            return WebhookResponse.Text(401, $"Missing or wrong secret: send Plugins:datadog:secret as 'Authorization: Bearer <secret>', as the HTTP Basic password, or in the {settings.SecretHeader} header.");
        }

        MonitoringAlert alert;
        try
        {
            alert = Parse(request.Body, request.ReceivedAt);
        }
        // InvalidOperationException: a string member that is not valid UTF-8 (JsonElement.GetString cannot transcode it);
        // found by the fuzz pass in tests/SupportPlatform.Faults.Tests, where it used to surface as a 500.
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return WebhookResponse.Text(400, "Not a Datadog webhook payload this receiver reads: " + ex.Message);
        }

        try
        {
            var receipt = (await sink.SubmitAsync([alert], cancellationToken))[0];
            return WebhookResponse.Json(200, $$"""{"disposition":"{{receipt.Disposition.ToString().ToLowerInvariant()}}","ticketId":{{(receipt.TicketId is { } t ? t.ToString(CultureInfo.InvariantCulture) : "null")}}}""");
        }
        catch (InvalidAlertException ex)
        {
            return WebhookResponse.Text(400, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "A Datadog notification could not be stored; Datadog will retry");
            return WebhookResponse.Text(503, "The alert could not be stored; retry.");
        }
    }

    private bool Authenticated(WebhookRequest request)
    {
        var presented = request.Header(settings.SecretHeader);
        if (presented is null && request.Header("Authorization") is { } authorization)
        {
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                presented = authorization["Bearer ".Length..].Trim();
            }
            else if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                    presented = pair[(pair.IndexOf(':', StringComparison.Ordinal) + 1)..];
                }
                catch (FormatException)
                {
                    return false;
                }
            }
        }

        return presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(settings.Secret));
    }

    internal static MonitoringAlert Parse(ReadOnlyMemory<byte> body, DateTimeOffset receivedAt)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the body is not a JSON object.");
        }

        var title = Text(root, "title") ?? throw new FormatException("the payload has no 'title' ($EVENT_TITLE).");
        var message = Text(root, "body");
        var prefix = TitlePrefix().Match(title);
        var transition = Text(root, "transition") ?? (prefix.Success ? prefix.Groups["transition"].Value.Trim() : null);
        var alertType = Text(root, "alert_type");
        var state = StateOf(transition, alertType)
            ?? throw new FormatException($"cannot tell the alert's state: no $ALERT_TRANSITION or $ALERT_TYPE, and the title '{title}' does not start with one such as [Triggered].");
        var scope = Text(root, "scope") ?? "";
        var host = Text(root, "hostname") is { Length: > 0 } h && !h.StartsWith('$') ? h
            : HostTag().Match(scope + " " + title + " " + message) is { Success: true } m ? m.Groups["host"].Value
            : throw new FormatException("cannot tell which system the alert is about: add \"hostname\": \"$HOSTNAME\" to the payload, or scope the monitor by host.");
        var check = (prefix.Success ? title[prefix.Length..] : title).Trim();
        var tags = (Text(root, "tags") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var monitor = Text(root, "alert_id");
        var id = Text(root, "id");
        var cycle = Text(root, "alert_cycle_key") is { Length: > 0 } c && !c.StartsWith('$') ? c : null;
        var occurred = Time(Text(root, "date")) ?? Time(Text(root, "last_updated")) ?? receivedAt;
        var attributes = new Dictionary<string, string> { ["scope"] = scope.Length > 0 ? scope : "host:" + host };
        if (monitor is { Length: > 0 } && long.TryParse(monitor, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            attributes["monitor_id"] = monitor;
        }

        if (Text(root, "priority") is { Length: > 0 } priority)
        {
            attributes["priority"] = priority;
        }

        return new MonitoringAlert
        {
            Source = "datadog",
            System = host,
            Check = check.Length > 255 ? check[..255] : check,
            State = state,
            Category = tags.Any(t => t is "security" or "category:security") ? AlertCategory.Security : AlertCategory.Availability,
            // The cycle key is the same from trigger to recovery; the default payload has only the event id.
            DedupKey = cycle ?? id ?? Convert.ToHexString(SHA256.HashData(body.Span)),
            OccurredAt = occurred,
            Summary = check.Length > 0 ? check : title,
            Details = message,
            Link = Text(root, "link") is { } link && Uri.TryCreate(link, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? link : null,
            Attributes = attributes,
        };
    }

    private static AlertState? StateOf(string? transition, string? alertType) => transition?.ToLowerInvariant() switch
    {
        "triggered" or "re-triggered" => AlertState.Critical,
        "warn" or "re-warn" => AlertState.Warning,
        "no data" or "re-no data" => AlertState.Unknown,
        "recovered" => AlertState.Ok,
        _ => alertType?.ToLowerInvariant() switch
        {
            "error" => AlertState.Critical,
            "warning" => AlertState.Warning,
            "success" => AlertState.Ok,
            "info" => AlertState.Warning,
            _ => null,
        },
    };

    private static DateTimeOffset? Time(string? text)
    {
        if (text is null || text.StartsWith('$'))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            // $DATE is epoch milliseconds; $LAST_UPDATED may be seconds.
            return number > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(number) : DateTimeOffset.FromUnixTimeSeconds(number);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : throw new FormatException($"'{text}' is not a time.");
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    [GeneratedRegex(@"^\[(?<transition>[A-Za-z -]+?)(?: on [^\]]*)?\]\s*")]
    private static partial Regex TitlePrefix();

    [GeneratedRegex(@"host:(?<host>[A-Za-z0-9._-]+)")]
    private static partial Regex HostTag();
}
