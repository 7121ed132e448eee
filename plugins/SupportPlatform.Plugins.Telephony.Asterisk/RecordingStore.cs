using System.Security.Cryptography;
using System.Text;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Telephony.Asterisk;

/// <summary>
/// Voicemail recordings fetched from Asterisk, kept in the plugin's data folder, and the signed links the tickets
/// carry to them. A link is <c>recordings/&lt;signature&gt;/&lt;name&gt;.wav</c> under the plugin's hook address,
/// the signature an HMAC-SHA256 of the name under a key made once and kept beside the files: whoever has the ticket
/// has the link, and no one can guess another recording's.
/// </summary>
internal sealed class RecordingStore
{
    private readonly string _folder;
    private readonly byte[] _key;

    public RecordingStore(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
        var keyFile = Path.Combine(folder, "link.key");
        if (!File.Exists(keyFile))
        {
            var temporary = keyFile + ".tmp";
            File.WriteAllBytes(temporary, RandomNumberGenerator.GetBytes(32));
            File.Move(temporary, keyFile, overwrite: false);
        }

        _key = File.ReadAllBytes(keyFile);
    }

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') && !name.StartsWith('.');

    /// <summary>Stores a recording durably (flushed, then renamed into place).</summary>
    public async Task SaveAsync(string name, byte[] content, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public byte[]? Read(string name) => IsValidName(name) && File.Exists(PathOf(name)) ? File.ReadAllBytes(PathOf(name)) : null;

    public string Signature(string name) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(name))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public bool Verify(string name, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(name)), Encoding.ASCII.GetBytes(signature));

    public Uri Link(IWebhookUrls urls, string name) => urls.GetUrl($"recordings/{Signature(name)}/{name}.wav");

    private string PathOf(string name) => Path.Combine(_folder, name + ".wav");
}

/// <summary>Serves a fetched recording to whoever holds its signed link (GET or HEAD).</summary>
internal sealed class RecordingHandler(RecordingStore recordings) : IWebhookHandler
{
    public Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parts = request.Path.Trim('/').Split('/');
        if (parts.Length != 3 || parts[0] != "recordings" || !parts[2].EndsWith(".wav", StringComparison.Ordinal))
        {
            return Task.FromResult(WebhookResponse.Text(404, $"No Asterisk hook at {request.Path}: the only one is recordings/<signature>/<name>.wav, the link on a voicemail ticket."));
        }

        if (request.Method is not ("GET" or "HEAD"))
        {
            return Task.FromResult(WebhookResponse.Text(405, "Recordings are read with GET."));
        }

        var name = parts[2][..^4];
        if (!RecordingStore.IsValidName(name) || !recordings.Verify(name, parts[1]))
        {
            return Task.FromResult(WebhookResponse.Text(403, "The recording link's signature is not valid: use the link from the ticket unchanged."));
        }

        var content = recordings.Read(name);
        return Task.FromResult(content is null
            ? WebhookResponse.Text(404, $"The recording {name} is not stored here.")
            : new WebhookResponse(200, "audio/wav", request.Method == "HEAD" ? ReadOnlyMemory<byte>.Empty : content));
    }
}
