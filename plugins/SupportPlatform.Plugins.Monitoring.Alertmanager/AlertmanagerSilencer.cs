using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Alertmanager;

/// <summary>Acknowledges an alert by creating a silence that matches its labels (<c>POST /api/v2/silences</c>).</summary>
internal sealed class AlertmanagerSilencer(AlertmanagerSettings settings, TimeProvider clock) : IMonitoringAcknowledger
{
    // One client for the plugin's lifetime; connections are recycled so DNS changes are seen.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(15) };

    public string Source => "alertmanager";

    public async Task<string> AcknowledgeAsync(AlertAcknowledgement acknowledgement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(acknowledgement);
        var api = settings.ApiUrl ?? throw new InvalidOperationException("Plugins:alertmanager:apiUrl is not set, so no silence can be created; silence the alert in Alertmanager by hand.");
        var matchers = acknowledgement.Alert.Attributes
            .Where(a => a.Key.StartsWith(AlertmanagerWebhook.LabelPrefix, StringComparison.Ordinal))
            .Select(a => new { name = a.Key[AlertmanagerWebhook.LabelPrefix.Length..], value = a.Value, isRegex = false, isEqual = true })
            .ToList();
        if (matchers.Count == 0)
        {
            throw new InvalidOperationException("The alert carries no labels to match, so no silence can be created.");
        }

        var now = clock.GetUtcNow();
        var until = acknowledgement.Until > now ? acknowledgement.Until : now.AddHours(1);
        using var response = await Http.PostAsJsonAsync(new Uri(api, "api/v2/silences"), new
        {
            matchers,
            startsAt = now,
            endsAt = until,
            createdBy = acknowledgement.Author,
            comment = acknowledgement.Comment,
        }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Alertmanager refused the silence ({(int)response.StatusCode}): {body}");
        }

        using var json = JsonDocument.Parse(body);
        var id = json.RootElement.TryGetProperty("silenceID", out var sid) ? sid.GetString() : null;
        return $"silence {id} until {until:u}";
    }
}
