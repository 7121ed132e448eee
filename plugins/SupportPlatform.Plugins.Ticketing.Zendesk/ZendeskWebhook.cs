using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Ticketing.Zendesk;

/// <summary>
/// Receives Zendesk webhooks at <c>/hooks/zendesk/</c>. Every request must carry Zendesk's signature:
/// <c>X-Zendesk-Webhook-Signature</c> = base64(HMAC-SHA256(signing secret, <c>X-Zendesk-Webhook-Signature-Timestamp</c> + body)),
/// with a timestamp no older than <see cref="ZendeskSettings.WebhookTolerance"/>; anything else is 401 and changes
/// nothing. The body names the ticket: <c>{"ticket_id": "{{ticket.id}}"}</c> from a trigger, or <c>detail.id</c>
/// of a ticket event subscription. The ticket is queued for synchronisation before the 200.
/// </summary>
internal sealed partial class ZendeskWebhook(ZendeskSettings settings, ITicketingSink sink, ILogger<ZendeskWebhook> logger) : IWebhookHandler
{
    private readonly byte[] key = Encoding.UTF8.GetBytes(settings.WebhookSecret);

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != "POST")
        {
            return WebhookResponse.Text(405, "Zendesk webhooks are POSTed.");
        }

        var signature = request.Header("X-Zendesk-Webhook-Signature");
        var timestamp = request.Header("X-Zendesk-Webhook-Signature-Timestamp");
        if (signature is null || timestamp is null)
        {
            return WebhookResponse.Text(401, "The request is not signed: X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp are required.");
        }

        var signed = new byte[Encoding.UTF8.GetByteCount(timestamp) + request.Body.Length];
        var written = Encoding.UTF8.GetBytes(timestamp, signed);
        request.Body.Span.CopyTo(signed.AsSpan(written));
        var expected = HMACSHA256.HashData(key, signed);
        byte[] given;
        try
        {
            given = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return WebhookResponse.Text(401, "X-Zendesk-Webhook-Signature is not base64.");
        }

        if (!CryptographicOperations.FixedTimeEquals(given, expected))
        {
            return WebhookResponse.Text(401, "Wrong signature: check that Plugins:zendesk:webhookSecret is the webhook's signing secret.");
        }

        if (!DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sentAt)
            || (request.ReceivedAt - sentAt).Duration() > settings.WebhookTolerance)
        {
            return WebhookResponse.Text(401, $"The signature's timestamp '{timestamp}' is not within {settings.WebhookTolerance} of now (a replay, or a wrong clock).");
        }

        string? ticketId;
        try
        {
            var body = JsonNode.Parse(request.Body.Span);
            ticketId = TicketId(body?["ticket_id"]) ?? TicketId(body?["ticket"]?["id"]) ?? TicketId(body?["detail"]?["id"]);
        }
        catch (JsonException ex)
        {
            return WebhookResponse.Text(400, "The body is not JSON: " + ex.Message);
        }

        if (ticketId is null)
        {
            return WebhookResponse.Text(400, """The body names no ticket: send {"ticket_id": "{{ticket.id}}"} from the trigger, or subscribe the webhook to ticket events.""");
        }

        try
        {
            await sink.TicketChangedAsync(ZendeskAdapter.SystemName, ticketId, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNotQueued(logger, ex, ticketId);
            return WebhookResponse.Text(503, "The notification could not be stored; retry.");
        }

        return WebhookResponse.Json(200, $$"""{"queued":"{{ticketId}}"}""");
    }

    private static string? TicketId(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var number) && number > 0 => number.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<string>(out var text) && long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 =>
            parsed.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk notification for ticket {TicketId} could not be queued; Zendesk will retry")]
    private static partial void LogNotQueued(ILogger logger, Exception exception, string ticketId);
}
