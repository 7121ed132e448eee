using System.Text;

namespace SupportPlatform.Sdk.Webhooks;

/// <summary>What a webhook handler answers.</summary>
/// <param name="StatusCode">The HTTP status code.</param>
/// <param name="ContentType">The body's content type, or <see langword="null"/> without a body.</param>
/// <param name="Body">The body; empty for none.</param>
public sealed record WebhookResponse(int StatusCode, string? ContentType, ReadOnlyMemory<byte> Body)
{
    /// <summary>Extra response headers.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>A response without a body.</summary>
    /// <param name="statusCode">The status code.</param>
    /// <returns>The response.</returns>
    public static WebhookResponse Status(int statusCode) => new(statusCode, null, ReadOnlyMemory<byte>.Empty);

    /// <summary>A plain-text response (UTF-8), for example a reason sent with a 4xx.</summary>
    /// <param name="statusCode">The status code.</param>
    /// <param name="text">The text.</param>
    /// <returns>The response.</returns>
    public static WebhookResponse Text(int statusCode, string text) =>
        new(statusCode, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));

    /// <summary>An XML response (UTF-8), such as TwiML.</summary>
    /// <param name="statusCode">The status code.</param>
    /// <param name="xml">The document.</param>
    /// <returns>The response.</returns>
    public static WebhookResponse Xml(int statusCode, string xml) =>
        new(statusCode, "application/xml; charset=utf-8", Encoding.UTF8.GetBytes(xml));

    /// <summary>A JSON response (UTF-8) from already serialized JSON.</summary>
    /// <param name="statusCode">The status code.</param>
    /// <param name="json">The JSON text.</param>
    /// <returns>The response.</returns>
    public static WebhookResponse Json(int statusCode, string json) =>
        new(statusCode, "application/json; charset=utf-8", Encoding.UTF8.GetBytes(json));
}
