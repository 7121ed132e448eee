using System.Text;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Sdk.Testing.Conformance;

/// <summary>What <see cref="WebhookConformance"/> sends: one real delivery and how the sender authenticates.</summary>
public sealed class WebhookScenario
{
    /// <summary>
    /// Builds a delivery the plugin must store (at least one alert, call event or message in the recording host
    /// services), without credentials. Called several times: return the same delivery each time (as a sender's retry).
    /// </summary>
    public required Func<PluginHarness, WebhookRequest> Delivery { get; init; }

    /// <summary>Adds the sender's credentials to a request (a bearer token, a secret header, a signature over the body).</summary>
    public required Func<PluginHarness, WebhookRequest, WebhookRequest> Authenticate { get; init; }

    /// <summary>More malformed requests (named), answered 4xx with a reason; the kit authenticates them. The kit always adds an empty body, a body that is not a payload, and a GET.</summary>
    public IList<KeyValuePair<string, Func<PluginHarness, WebhookRequest>>> BadRequests { get; } = [];

    /// <summary>How long one request may take. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Checks an <see cref="IWebhookHandler"/> against what the host and senders rely on: a cancelled request and a
/// failing host service never answer 2xx and store nothing (a 5xx, so the sender retries); requests without
/// credentials get 401/403; malformed ones get 4xx with a reason, never an exception or 500; a delivery is answered
/// 2xx once stored; the same delivery again stores nothing more.
/// </summary>
public static class WebhookConformance
{
    private const string Capability = PluginCapabilities.Webhook;

    /// <summary>Runs every webhook check on a fresh harness (nothing stored yet).</summary>
    /// <param name="harness">The plugin, loaded.</param>
    /// <param name="scenario">The delivery and the authentication.</param>
    /// <returns>The report.</returns>
    public static async Task<ConformanceReport> RunAsync(PluginHarness harness, WebhookScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(harness);
        ArgumentNullException.ThrowIfNull(scenario);
        var report = new ConformanceReport();
        IWebhookHandler handler;
        try
        {
            handler = harness.WebhookHandler;
        }
        catch (InvalidOperationException ex)
        {
            report.Record(Capability, "registers one webhook handler", false, ex.Message);
            return report;
        }

        report.Record(Capability, "registers one webhook handler", true, handler.GetType().Name);
        if (harness.StoredCount != 0)
        {
            report.Record(Capability, "starts from an empty harness", false, $"{harness.StoredCount} items were stored before the checks; run them on a new harness.");
            return report;
        }

        WebhookRequest Signed(WebhookRequest request) => scenario.Authenticate(harness, request);
        var delivery = scenario.Delivery(harness);

        // 1. Cancelled: never 2xx, nothing stored.
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync().ConfigureAwait(false);
            var outcome = await SendAsync(handler, Signed(delivery), cancelled.Token, scenario.Timeout).ConfigureAwait(false);
            var ok = outcome.Canceled || outcome.Response is { StatusCode: >= 500 };
            report.Record(Capability, "a cancelled request is not answered as handled and stores nothing",
                ok && harness.StoredCount == 0,
                ok ? $"{harness.StoredCount} items stored" : $"the handler {outcome.Describe()} with a cancelled token; let the OperationCanceledException from the host service propagate (or answer 5xx).");
        }

        // 2. Host service failing: a 5xx answer (the sender retries), not an exception, not 2xx.
        harness.FailHostServices(true);
        try
        {
            var outcome = await SendAsync(handler, Signed(delivery), CancellationToken.None, scenario.Timeout).ConfigureAwait(false);
            var ok = outcome.Response is { StatusCode: >= 500 and < 600 } r && r.Body.Length > 0;
            report.Record(Capability, "answers 5xx with a reason when the host service fails (the sender retries)",
                ok && harness.StoredCount == 0,
                ok ? $"{harness.StoredCount} items stored" : $"the handler {outcome.Describe()} while the host service threw; catch the failure and answer 503 with a reason, never 2xx.");
        }
        finally
        {
            harness.FailHostServices(false);
        }

        // 3. Unauthenticated: 401/403, nothing stored.
        {
            var outcome = await SendAsync(handler, delivery, CancellationToken.None, scenario.Timeout).ConfigureAwait(false);
            var ok = outcome.Response is { StatusCode: 401 or 403 } r && r.Body.Length > 0;
            report.Record(Capability, "refuses a delivery without credentials with 401/403 and a reason",
                ok && harness.StoredCount == 0,
                ok ? $"{harness.StoredCount} items stored" : $"the handler {outcome.Describe()} for a request without credentials; the host does not authenticate webhooks, the plugin must.");
        }

        // 4. Malformed: 4xx with a reason, nothing stored.
        var bad = new List<KeyValuePair<string, Func<PluginHarness, WebhookRequest>>>
        {
            new("an empty body", h => h.CreateRequest(delivery.Method, PathAndQuery(delivery), [], delivery.ContentType, Flatten(delivery.Headers))),
            new("a body that is not a payload", h => h.CreateRequest(delivery.Method, PathAndQuery(delivery), Encoding.UTF8.GetBytes("\u0001 this is { not a payload"), delivery.ContentType, Flatten(delivery.Headers))),
            new("a GET", h => h.CreateRequest("GET", PathAndQuery(delivery), null, null, Flatten(delivery.Headers))),
        };
        bad.AddRange(scenario.BadRequests);
        foreach (var (name, build) in bad)
        {
            var outcome = await SendAsync(handler, Signed(build(harness)), CancellationToken.None, scenario.Timeout).ConfigureAwait(false);
            var ok = outcome.Response is { StatusCode: >= 400 and < 500 } r && r.Body.Length > 0;
            report.Record(Capability, $"answers {name} with 4xx and a reason",
                ok && harness.StoredCount == 0,
                ok ? $"{harness.StoredCount} items stored" : $"the handler {outcome.Describe()}; bad input must get a 4xx whose body says what was wrong (not a 500 or an exception).");
        }

        // 5. The delivery: 2xx, stored.
        var first = await SendAsync(handler, Signed(scenario.Delivery(harness)), CancellationToken.None, scenario.Timeout).ConfigureAwait(false);
        var stored = harness.StoredCount;
        var firstOk = first.Response is { StatusCode: >= 200 and < 300 } && stored > 0;
        report.Record(Capability, "answers a delivery 2xx once it is stored", firstOk,
            firstOk ? $"{stored} items stored" : $"the handler {first.Describe()} and {stored} items were stored; a delivery must reach a host service before 2xx.");

        // 6. The same delivery again: 2xx, nothing more stored.
        var second = await SendAsync(handler, Signed(scenario.Delivery(harness)), CancellationToken.None, scenario.Timeout).ConfigureAwait(false);
        var again = harness.StoredCount;
        var secondOk = second.Response is { StatusCode: >= 200 and < 300 } && again == stored;
        report.Record(Capability, "stores the same delivery once (a sender's retry is harmless)", firstOk && secondOk,
            secondOk ? "duplicate recognised" : $"the repeat {second.Describe()} and the stored items went from {stored} to {again}; give the host service the same ids (dedup key, event id, Message-ID) for the same delivery.");
        return report;
    }

    internal static string PathAndQuery(WebhookRequest request) =>
        request.Path + (request.PublicUrl.Query is { Length: > 1 } q ? q : "");

    internal static IEnumerable<KeyValuePair<string, string>> Flatten(IReadOnlyDictionary<string, IReadOnlyList<string>> headers) =>
        headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v)));

    private static async Task<Outcome> SendAsync(IWebhookHandler handler, WebhookRequest request, CancellationToken cancellationToken, TimeSpan timeout)
    {
        try
        {
            var task = handler.HandleAsync(request, cancellationToken);
            var response = await task.WaitAsync(timeout, CancellationToken.None).ConfigureAwait(false);
            return new Outcome(response, null, false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new Outcome(null, null, true);
        }
        catch (TimeoutException)
        {
            return new Outcome(null, new TimeoutException($"no answer within {timeout.TotalSeconds:0} s"), false);
        }
        catch (Exception ex)
        {
            return new Outcome(null, ex, false);
        }
    }

    private sealed record Outcome(WebhookResponse? Response, Exception? Exception, bool Canceled)
    {
        public string Describe() => Canceled
            ? "threw OperationCanceledException"
            : Exception is not null
                ? $"threw {Exception.GetType().Name} ({Exception.Message}), which the host answers 500"
                : $"answered {Response!.StatusCode}{(Response.Body.Length == 0 ? " with no body" : ": " + Truncate(Encoding.UTF8.GetString(Response.Body.Span)))}";

        private static string Truncate(string text) => text.Length > 200 ? text[..200] + "..." : text;
    }
}
