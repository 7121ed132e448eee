using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Datadog;

/// <summary>Acknowledges an alert by scheduling a downtime for its monitor and scope (<c>POST /api/v2/downtime</c>).</summary>
internal sealed class DatadogDowntimes(DatadogSettings settings, TimeProvider clock) : IMonitoringAcknowledger
{
    // One client for the plugin's lifetime; connections are recycled so DNS changes are seen.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(15) };

    public string Source => "datadog";

    public async Task<string> AcknowledgeAsync(AlertAcknowledgement acknowledgement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(acknowledgement);
        if (settings.ApiKey is null || settings.ApplicationKey is null)
        {
            throw new InvalidOperationException("Plugins:datadog:apiKey and applicationKey are not set, so no downtime can be scheduled; mute the monitor in Datadog by hand.");
        }

        var alert = acknowledgement.Alert;
        var scope = alert.Attributes.GetValueOrDefault("scope") ?? "host:" + alert.System;
        var until = acknowledgement.Until > clock.GetUtcNow() ? acknowledgement.Until : clock.GetUtcNow().AddHours(1);
        object monitor = alert.Attributes.TryGetValue("monitor_id", out var id) ? new { monitor_id = long.Parse(id, System.Globalization.CultureInfo.InvariantCulture) } : new { monitor_tags = new[] { "*" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.ApiUrl, "api/v2/downtime"))
        {
            Content = JsonContent.Create(new
            {
                data = new
                {
                    type = "downtime",
                    attributes = new
                    {
                        scope,
                        monitor_identifier = monitor,
                        schedule = new { end = until.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) },
                        message = $"{acknowledgement.Comment} ({acknowledgement.Author})",
                        mute_first_recovery_notification = false,
                    },
                },
            }),
        };
        request.Headers.Add("DD-API-KEY", settings.ApiKey);
        request.Headers.Add("DD-APPLICATION-KEY", settings.ApplicationKey);
        using var response = await Http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Datadog refused the downtime ({(int)response.StatusCode}): {body}");
        }

        using var json = JsonDocument.Parse(body);
        var downtime = json.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("id", out var did) ? did.ToString() : "?";
        return $"downtime {downtime} on {scope} until {until:u}";
    }
}
