namespace SupportPlatform.Sdk.Webhooks;

/// <summary>An HTTP request to one of a plugin's webhooks, as the host received it.</summary>
public sealed class WebhookRequest
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Empty =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>The HTTP method, upper case (<c>POST</c>).</summary>
    public required string Method { get; init; }

    /// <summary>The path below <c>/hooks/&lt;plugin id&gt;</c>, starting with <c>/</c> (<c>/voice</c>); <c>/</c> for the root.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// The absolute address the sender used, query included, rebuilt from the host's configured public URL
    /// (<c>SupportPlatform:PublicUrl</c>) rather than the request's own Host header, so signatures computed over
    /// the URL (Twilio's) verify behind a reverse proxy.
    /// </summary>
    public required Uri PublicUrl { get; init; }

    /// <summary>The query string's parameters, in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Query { get; init; } = Empty;

    /// <summary>The request headers; look them up case-insensitively.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Headers { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The form fields when the body is <c>application/x-www-form-urlencoded</c>; empty otherwise.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Form { get; init; } = Empty;

    /// <summary>The <c>Content-Type</c> header, or <see langword="null"/>.</summary>
    public string? ContentType { get; init; }

    /// <summary>The raw body (also for form posts).</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The sender's IP address as the host saw it, or <see langword="null"/>.</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>When the host received the request (host clock).</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The first value of a header, or <see langword="null"/>.</summary>
    /// <param name="name">The header name, any case.</param>
    /// <returns>The value.</returns>
    public string? Header(string name) =>
        Headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>The first value of a form field, or <see langword="null"/>.</summary>
    /// <param name="name">The field name (case-sensitive).</param>
    /// <returns>The value.</returns>
    public string? FormValue(string name) =>
        Form.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
}
