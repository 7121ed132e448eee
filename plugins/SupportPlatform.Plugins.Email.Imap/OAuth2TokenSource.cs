using System.Net.Http.Headers;
using System.Text.Json;

namespace SupportPlatform.Plugins.Email.Imap;

/// <summary>
/// Fetches XOAUTH2 access tokens from an OAuth2 token endpoint (client credentials, or a refresh token) and keeps
/// each until shortly before it expires.
/// </summary>
internal sealed class OAuth2TokenSource(OAuth2Settings settings, HttpClient http, TimeProvider timeProvider)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _expiresAt;

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is not null && timeProvider.GetUtcNow() < _expiresAt)
            {
                return _token;
            }

            var form = new Dictionary<string, string> { ["client_id"] = settings.ClientId };
            if (settings.RefreshToken is not null)
            {
                form["grant_type"] = "refresh_token";
                form["refresh_token"] = settings.RefreshToken;
            }
            else
            {
                form["grant_type"] = "client_credentials";
            }

            if (settings.ClientSecret is not null)
            {
                form["client_secret"] = settings.ClientSecret;
            }

            if (settings.Scope is not null)
            {
                form["scope"] = settings.Scope;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, settings.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new OAuth2Exception($"the token endpoint {settings.TokenEndpoint} answered {(int)response.StatusCode}: {Shorten(body)}");
            }

            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("access_token", out var token) || token.ValueKind != JsonValueKind.String)
            {
                throw new OAuth2Exception($"the token endpoint {settings.TokenEndpoint} returned no access_token: {Shorten(body)}");
            }

            var lifetime = json.RootElement.TryGetProperty("expires_in", out var expires) && expires.TryGetInt32(out var seconds) ? seconds : 3600;
            _token = token.GetString()!;
            // Renew a minute early (or halfway through a short lifetime) so a token never expires mid-login.
            _expiresAt = timeProvider.GetUtcNow().AddSeconds(Math.Max(lifetime - 60, lifetime / 2));
            return _token;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException)
        {
            throw new OAuth2Exception($"the token endpoint {settings.TokenEndpoint} could not be used: {ex.Message}", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the token, after the server refused it.</summary>
    public void Invalidate() => _token = null;

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}

/// <summary>No access token could be obtained.</summary>
internal sealed class OAuth2Exception(string message, Exception? inner = null) : Exception(message, inner);
