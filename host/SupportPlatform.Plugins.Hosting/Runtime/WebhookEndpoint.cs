using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Hosting.Runtime;

/// <summary>
/// Hands <c>/hooks/&lt;plugin id&gt;/...</c> to that plugin's <see cref="IWebhookHandler"/>: reads the body (bounded),
/// rebuilds the public URL the sender used, and writes back what the plugin answers.
/// </summary>
internal static partial class WebhookEndpoint
{
    public static async Task HandleAsync(HttpContext http, string pluginId, string? path)
    {
        var services = http.RequestServices;
        var registry = services.GetRequiredService<IPluginRegistry>();
        var options = services.GetRequiredService<IOptions<PluginHostOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebhookEndpoint).FullName!);

        var handler = registry.GetCapabilities<IWebhookHandler>()
            .FirstOrDefault(c => string.Equals(c.PluginId, pluginId, StringComparison.OrdinalIgnoreCase));
        if (handler is null)
        {
            var known = registry.Find(pluginId);
            var detail = known is null
                ? $"No plugin with id '{pluginId}' is installed."
                : known.Status != PluginStatus.Loaded
                    ? $"The plugin '{known.Id}' is not running ({known.Status}): {known.Reason}"
                    : $"The plugin '{known.Id}' receives no webhooks.";
            await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such webhook", detail: detail).ExecuteAsync(http);
            return;
        }

        var request = http.Request;
        if (request.ContentLength > options.MaxWebhookBodyBytes)
        {
            await TooLarge(http, options.MaxWebhookBodyBytes);
            return;
        }

        // Kestrel's own limit may be larger; read at most one byte past ours to know the body is too long.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = options.MaxWebhookBodyBytes + 1L;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(request.Body, options.MaxWebhookBodyBytes, http.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await TooLarge(http, options.MaxWebhookBodyBytes);
            return;
        }

        if (body.Length > options.MaxWebhookBodyBytes)
        {
            await TooLarge(http, options.MaxWebhookBodyBytes);
            return;
        }

        var relative = "/" + (path ?? string.Empty);
        var addresses = services.GetRequiredService<HookAddresses>();
        var publicUrl = new Uri(addresses.For(handler.PluginId, relative).GetLeftPart(UriPartial.Path) + request.QueryString.ToUriComponent());
        var webhookRequest = new WebhookRequest
        {
            Method = request.Method.ToUpperInvariant(),
            Path = relative,
            PublicUrl = publicUrl,
            Query = request.Query.ToDictionary(q => q.Key, q => (IReadOnlyList<string>)[.. q.Value.Select(v => v ?? string.Empty)], StringComparer.Ordinal),
            Headers = request.Headers.ToDictionary(h => h.Key, h => (IReadOnlyList<string>)[.. h.Value.Select(v => v ?? string.Empty)], StringComparer.OrdinalIgnoreCase),
            Form = IsForm(request.ContentType) ? ParseForm(body) : new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal),
            ContentType = request.ContentType,
            Body = body,
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            ReceivedAt = services.GetRequiredService<TimeProvider>().GetUtcNow(),
        };

        WebhookResponse response;
        var timeout = options.CallTimeout;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        bounded.CancelAfter(timeout);
        try
        {
            // WaitAsync: the answer goes out after CallTimeout even when the handler ignores its cancelled token.
            response = await handler.Instance.HandleAsync(webhookRequest, bounded.Token).WaitAsync(timeout, http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && bounded.IsCancellationRequested))
        {
            // WaitAsync may give up a moment before CancelAfter fires: cancel now, before the source is disposed, so the
            // plugin is always told to stop.
            await bounded.CancelAsync();
            LogHandlerTimedOut(logger, handler.PluginId, webhookRequest.Method, relative, timeout.TotalSeconds);
            http.Response.Headers.RetryAfter = "5";
            await Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The webhook timed out",
                detail: $"The plugin '{handler.PluginId}' did not answer {webhookRequest.Method} {relative} within {timeout.TotalSeconds:0.#} s (setting {PluginHostOptions.CallTimeoutConfigurationKey}); nothing is confirmed stored, retry.").ExecuteAsync(http);
            return;
        }
        catch (Exception ex) when (IsDatabaseUnavailable(ex))
        {
            // The plugin let a database outage through: the sender must retry, as with any other 503.
            LogHandlerFailed(logger, ex, handler.PluginId, webhookRequest.Method, relative);
            http.Response.Headers.RetryAfter = "5";
            await Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The database is not available",
                detail: $"The plugin '{handler.PluginId}' could not store {webhookRequest.Method} {relative}: the database did not answer; nothing is confirmed stored, retry.").ExecuteAsync(http);
            return;
        }
        catch (Exception ex)
        {
            // One failed request is not a failed plugin: answer 500 (the sender retries) and keep it loaded.
            LogHandlerFailed(logger, ex, handler.PluginId, webhookRequest.Method, relative);
            await Results.Problem(
                statusCode: StatusCodes.Status500InternalServerError,
                title: "The webhook failed",
                detail: $"The plugin '{handler.PluginId}' failed while handling {webhookRequest.Method} {relative}; nothing is confirmed stored. The host log has the error.").ExecuteAsync(http);
            return;
        }

        http.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers)
        {
            http.Response.Headers[name] = value;
        }

        if (response.ContentType is { } contentType)
        {
            http.Response.ContentType = contentType;
        }

        if (!response.Body.IsEmpty)
        {
            http.Response.ContentLength = response.Body.Length;
            await http.Response.Body.WriteAsync(response.Body, http.RequestAborted);
        }
    }

    private static Task TooLarge(HttpContext http, int limit) =>
        Results.Problem(
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Webhook body too large",
            detail: $"The body is larger than the {limit:N0} bytes a webhook may carry (setting {PluginHostOptions.MaxWebhookBodyBytesConfigurationKey}); nothing was stored.").ExecuteAsync(http);

    private static async Task<byte[]> ReadBodyAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                break;
            }
        }

        return buffer.ToArray();
    }

    private static bool IsForm(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, IReadOnlyList<string>> ParseForm(byte[] body) =>
        QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body))
            .ToDictionary(f => f.Key, f => (IReadOnlyList<string>)[.. f.Value.Select(v => v ?? string.Empty)], StringComparer.Ordinal);

    private static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plugin {PluginId} did not answer webhook {Method} {Path} within {Seconds} s")]
    private static partial void LogHandlerTimedOut(ILogger logger, string pluginId, string method, string path, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plugin {PluginId} threw while handling webhook {Method} {Path}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string pluginId, string method, string path);
}
