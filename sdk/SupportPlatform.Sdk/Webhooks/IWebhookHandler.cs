namespace SupportPlatform.Sdk.Webhooks;

/// <summary>
/// Capability: receives HTTP requests that an outside system sends to the platform (a Twilio voice webhook, an
/// Alertmanager notification...). The host routes every request to <c>/hooks/&lt;plugin id&gt;/...</c>, any method,
/// to the one handler the plugin registers.
/// </summary>
/// <remarks>
/// <para>The host does not authenticate these requests: the handler checks the caller (a signature, a bearer token
/// or a secret header from its configuration) and answers 401/403 when it fails, changing nothing.</para>
/// <para>Answer 2xx only once what the request carries is durably stored (through a host service such as a sink):
/// the sender retries on anything else. An exception is answered 500 for that request and logged; it does not mark
/// the plugin failed, but return 503 yourself for failures you expect (the sink is unavailable).</para>
/// </remarks>
public interface IWebhookHandler
{
    /// <summary>Handles one request.</summary>
    /// <param name="request">The request, with its body already read (bounded by the host's limit).</param>
    /// <param name="cancellationToken">Cancelled when the caller disconnects or the host stops.</param>
    /// <returns>The response to send.</returns>
    Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The absolute public addresses of this plugin's webhooks, built from the host's configured public URL
/// (<c>SupportPlatform:PublicUrl</c>), for handing to an outside system (a Twilio status callback).
/// The host gives each plugin its own instance.
/// </summary>
public interface IWebhookUrls
{
    /// <summary>Whether <c>SupportPlatform:PublicUrl</c> is configured; when not, <see cref="GetUrl"/> uses the address the host listens on, which outside systems usually cannot reach.</summary>
    bool IsConfigured { get; }

    /// <summary>The public address of <c>/hooks/&lt;plugin id&gt;/&lt;relativePath&gt;</c>.</summary>
    /// <param name="relativePath">The path below the plugin's hook root, such as <c>voice/status</c>; may carry a query.</param>
    /// <returns>The absolute address.</returns>
    Uri GetUrl(string relativePath);
}
