using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SupportPlatform.Plugins.Telephony.Asterisk;

/// <summary>
/// The few ARI REST calls the application makes. Written by hand over <see cref="HttpClient"/>: ARI's REST surface
/// is small and stable, and no maintained .NET ARI client targets current .NET.
/// </summary>
internal sealed class AriClient : IDisposable
{
    private readonly HttpClient _http;

    public AriClient(AsteriskSettings settings)
    {
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = settings.BaseUrl,
            Timeout = TimeSpan.FromSeconds(15),
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Credentials(settings));
    }

    public static string Credentials(AsteriskSettings settings) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(settings.Username + ":" + settings.Password));

    public Task AnswerAsync(string channelId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"channels/{Esc(channelId)}/answer", cancellationToken, ignore: HttpStatusCode.Conflict);

    public Task RingAsync(string channelId, bool on, CancellationToken cancellationToken) =>
        SendAsync(on ? HttpMethod.Post : HttpMethod.Delete, $"channels/{Esc(channelId)}/ring", cancellationToken, ignore: HttpStatusCode.Conflict);

    /// <summary>Hangs a channel up; one that is already gone counts as done.</summary>
    public Task HangupAsync(string channelId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"channels/{Esc(channelId)}", cancellationToken, ignore: HttpStatusCode.NotFound);

    /// <summary>Rings an endpoint; when it answers, the channel enters this application with <paramref name="appArgs"/>.</summary>
    public Task OriginateAsync(string channelId, string endpoint, string application, string appArgs, string callerId, int timeoutSeconds, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post,
            $"channels?endpoint={Esc(endpoint)}&app={Esc(application)}&appArgs={Esc(appArgs)}&channelId={Esc(channelId)}&callerId={Esc(callerId)}&timeout={timeoutSeconds}",
            cancellationToken);

    public Task CreateBridgeAsync(string bridgeId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"bridges?type=mixing&bridgeId={Esc(bridgeId)}", cancellationToken);

    public Task AddToBridgeAsync(string bridgeId, IEnumerable<string> channelIds, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"bridges/{Esc(bridgeId)}/addChannel?channel={Esc(string.Join(',', channelIds))}", cancellationToken);

    public Task DestroyBridgeAsync(string bridgeId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"bridges/{Esc(bridgeId)}", cancellationToken, ignore: HttpStatusCode.NotFound);

    public Task PlayAsync(string channelId, string playbackId, string media, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"channels/{Esc(channelId)}/play?media={Esc(media)}&playbackId={Esc(playbackId)}", cancellationToken);

    public Task RecordAsync(string channelId, string name, int maxSeconds, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post,
            $"channels/{Esc(channelId)}/record?name={Esc(name)}&format=wav&maxDurationSeconds={maxSeconds}&maxSilenceSeconds=10&beep=true&terminateOn=%23&ifExists=overwrite",
            cancellationToken);

    /// <summary>The ids of the channels that exist now (every application's: the caller filters).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ChannelStatesAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("channels", cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, "GET channels", cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var channel in document.RootElement.EnumerateArray())
        {
            states[channel.GetProperty("id").GetString()!] = channel.TryGetProperty("state", out var state) ? state.GetString() ?? "" : "";
        }

        return states;
    }

    /// <summary>A stored recording's file, or null when Asterisk has no recording of that name.</summary>
    public async Task<byte[]?> RecordingFileAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"recordings/stored/{Esc(name)}/file", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureAsync(response, $"GET recordings/stored/{name}/file", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a recording is still being made.</summary>
    public async Task<bool> IsRecordingLiveAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"recordings/live/{Esc(name)}", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureAsync(response, $"GET recordings/live/{name}", cancellationToken).ConfigureAwait(false);
        return true;
    }

    public void Dispose() => _http.Dispose();

    private async Task SendAsync(HttpMethod method, string path, CancellationToken cancellationToken, HttpStatusCode? ignore = null)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == ignore)
        {
            return;
        }

        await EnsureAsync(response, $"{method} {path}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw new AriException(response.StatusCode, $"ARI {what} answered {(int)response.StatusCode}" + (body.Length == 0 ? "" : ": " + body[..Math.Min(body.Length, 300)]));
    }

    private static string Esc(string value) => Uri.EscapeDataString(value);
}

/// <summary>A refused ARI request.</summary>
internal sealed class AriException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
