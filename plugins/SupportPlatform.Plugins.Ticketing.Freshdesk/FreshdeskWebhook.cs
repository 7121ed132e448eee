using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Ticketing.Freshdesk;

/// <summary>
/// Receives Freshdesk automation-rule webhooks at <c>/hooks/freshdesk/</c>. Freshdesk does not sign its webhooks, so
/// the rule sends a shared secret in a custom header (<see cref="FreshdeskSettings.WebhookHeader"/>); a request
/// without it is 401, with a wrong one 403, and neither changes anything. The body names the ticket:
/// <c>{"freshdesk_webhook": {"ticket_id": "{{ticket.id}}"}}</c> (or <c>{"ticket_id": ...}</c>). The ticket is queued
/// for synchronisation before the 200.
/// </summary>
internal sealed partial class FreshdeskWebhook(FreshdeskSettings settings, ITicketingSink sink, ILogger<FreshdeskWebhook> logger) : IWebhookHandler
{
    private readonly byte[] secret = Encoding.UTF8.GetBytes(settings.WebhookSecret);

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != "POST")
        {
            return WebhookResponse.Text(405, "Freshdesk webhooks are POSTed.");
        }

        if (request.Header(settings.WebhookHeader) is not { } given)
        {
            return WebhookResponse.Text(401, $"The request has no {settings.WebhookHeader} header: add it to the automation rule's webhook with the secret of Plugins:freshdesk:webhookSecret.");
        }

        // Compared in constant time over hashes, so neither the content nor the length of the secret leaks.
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(secret)))
        {
            return WebhookResponse.Text(403, $"Wrong {settings.WebhookHeader}: it must be the secret of Plugins:freshdesk:webhookSecret.");
        }

        string? ticketId;
        try
        {
            var body = JsonNode.Parse(request.Body.Span);
            ticketId = TicketId(body?["freshdesk_webhook"]?["ticket_id"]) ?? TicketId(body?["ticket_id"]) ?? TicketId(body?["ticket"]?["id"]);
        }
        catch (JsonException ex)
        {
            return WebhookResponse.Text(400, "The body is not JSON: " + ex.Message);
        }

        if (ticketId is null)
        {
            return WebhookResponse.Text(400, """The body names no ticket: send {"freshdesk_webhook": {"ticket_id": "{{ticket.id}}"}} from the automation rule.""");
        }

        try
        {
            await sink.TicketChangedAsync(FreshdeskAdapter.SystemName, ticketId, cancellationToken);
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
        JsonValue v when v.TryGetValue<string>(out var text)
            && long.TryParse(text.Trim().TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 =>
            parsed.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Freshdesk notification for ticket {TicketId} could not be queued; Freshdesk will retry")]
    private static partial void LogNotQueued(ILogger logger, Exception exception, string ticketId);
}
