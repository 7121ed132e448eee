using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Sdk.Notifications;

namespace SupportPlatform.Plugins.Notifications.ChatWebhook;

/// <summary>
/// Posts a notification to the recipient's chat target (or the default one): Slack-style <c>{"text": ...}</c>, or a
/// Teams MessageCard with the link as an "Open" action. A 2xx answer counts as delivered; anything else is reported
/// with the status and the start of the answer, for the delivery log. A delivery id already posted is not posted
/// again (<see cref="DeliveredIds"/>); two attempts of one id at the same moment share one post.
/// </summary>
internal sealed class ChatWebhookChannel(ChatWebhookOptions options, DeliveredIds delivered) : INotificationChannel, IDisposable
{
    private readonly HttpClient ownClient = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> inFlight = new(StringComparer.Ordinal);

    public string Channel => NotificationChannels.Chat;

    public async Task<NotificationSendResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        var gate = inFlight.GetOrAdd(message.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (delivered.Contains(message.Id))
            {
                return NotificationSendResult.Ok();
            }

            var result = await PostAsync(message, cancellationToken);
            if (result.Delivered)
            {
                delivered.Add(message.Id);
            }

            return result;
        }
        finally
        {
            gate.Release();
            // Gates are per attempt in progress; one left behind by a race is only a small object.
            if (gate.CurrentCount == 1)
            {
                inFlight.TryRemove(new KeyValuePair<string, SemaphoreSlim>(message.Id, gate));
            }
        }
    }

    private async Task<NotificationSendResult> PostAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        var name = string.IsNullOrWhiteSpace(message.Address) ? options.DefaultTarget : message.Address;
        if (!options.Targets.TryGetValue(name, out var target))
        {
            return NotificationSendResult.Failed($"no chat target '{name}' is configured (known: {string.Join(", ", options.Targets.Keys)})");
        }

        var payload = target.Format == "teams" ? Teams(message) : Slack(message);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var client = ownClient;
        try
        {
            using var response = await client.PostAsJsonAsync(target.Url, payload, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return NotificationSendResult.Ok();
            }

            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return NotificationSendResult.Failed($"{target.Name} answered {(int)response.StatusCode}: {(body.Length > 200 ? body[..200] : body)}");
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return NotificationSendResult.Failed($"{target.Name}: {ex.Message}");
        }
    }

    public void Dispose() => ownClient.Dispose();

    internal static JsonObject Slack(NotificationMessage m) => new()
    {
        ["text"] = $"*{m.Subject}*\n{m.Text}" + (m.Link is null ? "" : $"\n<{m.Link}|Open>"),
    };

    internal static JsonObject Teams(NotificationMessage m)
    {
        var card = new JsonObject
        {
            ["@type"] = "MessageCard",
            ["@context"] = "https://schema.org/extensions",
            ["summary"] = m.Subject,
            ["title"] = m.Subject,
            ["text"] = m.Text,
            ["themeColor"] = m.Urgent ? "D13438" : "0078D7",
        };
        if (m.Link is not null)
        {
            card["potentialAction"] = new JsonArray(new JsonObject
            {
                ["@type"] = "OpenUri",
                ["name"] = "Open",
                ["targets"] = new JsonArray(new JsonObject { ["os"] = "default", ["uri"] = m.Link }),
            });
        }

        return card;
    }
}
