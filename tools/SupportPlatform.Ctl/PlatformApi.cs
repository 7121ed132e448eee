using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SupportPlatform.Ctl;

/// <summary>
/// The running host's HTTP API. Accounts, contracts, staff and client users go through it, so the tool applies exactly
/// the rules the API applies (validation, uniqueness, audit log) and never writes those tables behind the host's back.
/// </summary>
internal sealed class PlatformApi(HttpClient http, Uri url, string? token)
{
    public Uri Url => url;

    public Task<JsonNode?> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    /// <summary>GET that answers null for 404.</summary>
    public async Task<JsonNode?> FindAsync(string path, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, path, null);
        using var response = await Send(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return await Read(response, request, ct);
    }

    public Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct) => SendCore(method, path, body, ct);

    /// <summary>GET without a token and without failing on 503 (the readiness report is a body either way).</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> GetRawAsync(string path, CancellationToken ct)
    {
        using var response = await Send(new HttpRequestMessage(HttpMethod.Get, path), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? body = null;
        try
        {
            body = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
        }

        return (response.StatusCode, body);
    }

    private async Task<JsonNode?> SendCore(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = Request(method, path, body);
        using var response = await Send(request, ct);
        return await Read(response, request, ct);
    }

    private HttpRequestMessage Request(HttpMethod method, string path, JsonNode? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new CtlException($"The host at {url} does not answer ({ex.Message}). Is it running (systemctl status supportplatform)? Set its address with --url.", 69);
        }
    }

    private static async Task<JsonNode?> Read(HttpResponseMessage response, HttpRequestMessage request, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode)
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }

        throw new CtlException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Describe(response.StatusCode, text)}");
    }

    /// <summary>The problem details' title, detail and field errors, in one line.</summary>
    internal static string Describe(HttpStatusCode status, string body)
    {
        if (status == HttpStatusCode.Unauthorized)
        {
            return "not signed in: give an API token with --token, --token-file or SUPPORTCTL_TOKEN (create one with POST /api/me/tokens).";
        }

        try
        {
            var problem = JsonNode.Parse(body);
            var parts = new List<string>();
            if (problem?["detail"]?.GetValue<string>() is { } detail)
            {
                parts.Add(detail);
            }
            else if (problem?["title"]?.GetValue<string>() is { } title)
            {
                parts.Add(title);
            }

            if (problem?["errors"] is JsonObject errors)
            {
                parts.AddRange(errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value!.AsArray().Select(v => v!.GetValue<string>()))}"));
            }

            return parts.Count > 0 ? string.Join(" ", parts) : body;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return body.Length > 300 ? body[..300] : body;
        }
    }
}
