using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Sdk.Testing;

/// <summary>Helpers for building webhook requests in tests.</summary>
public static class WebhookRequestExtensions
{
    /// <summary>A copy of the request with one more header (replacing one of the same name), for adding credentials or a signature.</summary>
    /// <param name="request">The request.</param>
    /// <param name="name">The header name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new request.</returns>
    public static WebhookRequest WithHeader(this WebhookRequest request, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var headers = new Dictionary<string, IReadOnlyList<string>>(request.Headers, StringComparer.OrdinalIgnoreCase) { [name] = [value] };
        return new WebhookRequest
        {
            Method = request.Method,
            Path = request.Path,
            PublicUrl = request.PublicUrl,
            Query = request.Query,
            Headers = headers,
            Form = request.Form,
            ContentType = request.ContentType,
            Body = request.Body,
            RemoteAddress = request.RemoteAddress,
            ReceivedAt = request.ReceivedAt,
        };
    }
}
