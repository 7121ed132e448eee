using System.Net.Http.Headers;
using System.Text.Json;

namespace SupportPlatform.Sdk.Mail;

/// <summary>
/// An OAuth2 client of a token endpoint, for XOAUTH2 sign-in to a mail server (Exchange Online, Google Workspace):
/// client credentials (<see cref="ClientSecret"/>) or a refresh token (<see cref="RefreshToken"/>).
/// </summary>
public sealed class OAuth2ClientSettings
{
    /// <summary>The token endpoint, an absolute URL (e.g. <c>https://login.microsoftonline.com/&lt;tenant&gt;/oauth2/v2.0/token</c>).</summary>
    public required Uri TokenEndpoint { get; init; }

    /// <summary>The OAuth client's id.</summary>
    public required string ClientId { get; init; }

    /// <summary>The client's secret: the client-credentials grant, or with a refresh token where the provider wants one.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>A refresh token obtained once for the mailbox: the refresh-token grant.</summary>
    public string? RefreshToken { get; init; }

    /// <summary>The scope to ask for (e.g. <c>https://outlook.office365.com/.default</c>), or none.</summary>
    public string? Scope { get; init; }
}

/// <summary>
/// Fetches access tokens from an OAuth2 token endpoint (RFC 6749: client credentials, or a refresh token) and keeps
/// each until shortly before it expires; safe to share between concurrent sign-ins.
/// </summary>
/// <remarks>Hand-written (a form post and a JSON field): the MSAL and Google libraries each cover one provider only.</remarks>
public sealed class OAuth2TokenSource(OAuth2ClientSettings settings, HttpClient http, TimeProvider clock)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private string? token;
    private DateTimeOffset expiresAt;

    /// <summary>A valid access token: the kept one, or a new one from the endpoint.</summary>
    /// <exception cref="OAuth2TokenException">The endpoint could not be reached, refused, or answered without a token.</exception>
    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (token is not null && clock.GetUtcNow() < expiresAt)
            {
                return token;
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
                throw new OAuth2TokenException($"the token endpoint {settings.TokenEndpoint} answered {(int)response.StatusCode}: {Shorten(body)}");
            }

            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("access_token", out var value) || value.ValueKind != JsonValueKind.String)
            {
                throw new OAuth2TokenException($"the token endpoint {settings.TokenEndpoint} returned no access_token: {Shorten(body)}");
            }

            var lifetime = json.RootElement.TryGetProperty("expires_in", out var expires) && expires.TryGetInt32(out var seconds) ? seconds : 3600;
            token = value.GetString()!;
            // Renewed a minute early (or halfway through a short lifetime) so a token never expires mid-login.
            expiresAt = clock.GetUtcNow().AddSeconds(Math.Max(lifetime - 60, lifetime / 2));
            return token;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException)
        {
            throw new OAuth2TokenException($"the token endpoint {settings.TokenEndpoint} could not be used: {ex.Message}", ex);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Forgets the kept token, after the server refused it.</summary>
    public void Invalidate() => token = null;

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}

/// <summary>No access token could be obtained from the token endpoint; the message says why.</summary>
public sealed class OAuth2TokenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OAuth2TokenException()
    {
    }

    /// <summary>Creates the exception with its reason.</summary>
    /// <param name="message">Why no token was obtained.</param>
    public OAuth2TokenException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its reason and cause.</summary>
    /// <param name="message">Why no token was obtained.</param>
    /// <param name="innerException">The failure underneath.</param>
    public OAuth2TokenException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
