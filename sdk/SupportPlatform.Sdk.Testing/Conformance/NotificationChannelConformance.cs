using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk.Notifications;

namespace SupportPlatform.Sdk.Testing.Conformance;

/// <summary>
/// What <see cref="NotificationChannelConformance"/> runs against: the plugin is configured (settings in the harness) to
/// deliver to a provider the test controls, normally a fake server on loopback that counts the messages it accepted.
/// </summary>
public sealed class NotificationScenario
{
    /// <summary>How many messages the provider has accepted so far (what its users would see).</summary>
    public required Func<int> AcceptedCount { get; init; }

    /// <summary>
    /// While <c>true</c>, the provider refuses every request as it does when it fails (an HTTP 5xx, an error answer);
    /// <c>false</c> makes it accept again.
    /// </summary>
    public required Action<bool> FailProvider { get; init; }

    /// <summary>While <c>true</c>, the provider takes requests but never answers them (a hung server).</summary>
    public required Action<bool> StallProvider { get; init; }

    /// <summary>
    /// The channel to check when the plugin registers several (<c>sms</c> and <c>voice</c>); may be left out when it
    /// registers one.
    /// </summary>
    public string? Channel { get; init; }

    /// <summary>The address to send to: a phone number (E.164) for SMS and voice; a chat target's name, or null for the default.</summary>
    public string? Address { get; init; }

    /// <summary>How long one send may take, and how soon after cancellation it must end. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Checks an <see cref="INotificationChannel"/> against what the host's notification service relies on: it names one of
/// <see cref="NotificationChannels"/>; a delivery sent twice with the same <see cref="NotificationMessage.Id"/> reaches
/// the recipient once (the service retries after a crash or a timeout, and the id is its idempotency key); a failing
/// provider gives a result with <see cref="NotificationSendResult.Delivered"/> false and a reason, never an exception,
/// and a later retry of the same delivery goes through; a cancelled send ends promptly (a failed result or
/// <see cref="OperationCanceledException"/>, never "delivered"), and a send whose token is already cancelled sends nothing.
/// The contract has no permanent/retryable distinction: every failed result is retried by the service, then the
/// recipient's next channel is tried.
/// </summary>
public static class NotificationChannelConformance
{
    private const string Capability = PluginCapabilities.NotificationChannel;

    /// <summary>How soon a send must end once its token is cancelled.</summary>
    private static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(3);

    /// <summary>Runs every check.</summary>
    /// <param name="harness">The plugin, loaded with settings that point at the provider of <paramref name="scenario"/>.</param>
    /// <param name="scenario">The provider's controls.</param>
    /// <returns>The report.</returns>
    public static async Task<ConformanceReport> RunAsync(PluginHarness harness, NotificationScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(harness);
        ArgumentNullException.ThrowIfNull(scenario);
        var report = new ConformanceReport();
        var channels = harness.Services.GetServices<INotificationChannel>().ToList();
        var candidates = scenario.Channel is null ? channels : channels.Where(c => c.Channel == scenario.Channel).ToList();
        if (candidates.Count != 1)
        {
            report.Record(Capability, "registers the notification channel", false, candidates.Count == 0
                ? $"no INotificationChannel{(scenario.Channel is null ? "" : $" for '{scenario.Channel}'")} is registered; add services.AddSingleton<INotificationChannel, ...>() in ConfigureServices."
                : $"{candidates.Count} channels registered ({string.Join(", ", candidates.Select(c => c.Channel))}): name the one to check in NotificationScenario.Channel.");
            return report;
        }

        var channel = candidates[0];
        var known = new[] { NotificationChannels.Chat, NotificationChannels.Sms, NotificationChannels.Voice };
        report.Record(Capability, "names a known channel", known.Contains(channel.Channel, StringComparer.Ordinal),
            $"Channel is '{channel.Channel}'; use one of {string.Join(", ", known)} (NotificationChannels).");

        var run = Guid.NewGuid().ToString("N")[..8];
        await IdempotencyAsync(report, channel, scenario, Message(scenario, $"conformance-{run}-once")).ConfigureAwait(false);
        await FailureAsync(report, channel, scenario, Message(scenario, $"conformance-{run}-failing")).ConfigureAwait(false);
        await CancellationAsync(report, channel, scenario, run).ConfigureAwait(false);
        return report;
    }

    private static NotificationMessage Message(NotificationScenario scenario, string id) => new(
        id, "conformance", "conformance-user", "Conformance Check", scenario.Address,
        $"Conformance check {id}", "A message sent by the notification channel conformance kit.", "https://support.example.test/console", Urgent: false);

    private static async Task IdempotencyAsync(ConformanceReport report, INotificationChannel channel, NotificationScenario scenario, NotificationMessage message)
    {
        const string check = "delivers a delivery id sent twice once";
        var before = scenario.AcceptedCount();
        var results = new List<NotificationSendResult>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var result = await SendAsync(report, channel, message, scenario, check).ConfigureAwait(false);
            if (result is null)
            {
                return;
            }

            results.Add(result);
        }

        var accepted = scenario.AcceptedCount() - before;
        report.Record(Capability, check, results.All(r => r.Delivered) && accepted == 1,
            $"the provider accepted {accepted} messages for two sends of '{message.Id}' (results: {string.Join(", ", results.Select(Describe))}); " +
            "remember the ids delivered (or pass the id as the provider's idempotency key) and answer a repeat as delivered without sending it again.");
    }

    private static async Task FailureAsync(ConformanceReport report, INotificationChannel channel, NotificationScenario scenario, NotificationMessage message)
    {
        const string check = "reports a failing provider as a failed result with the reason";
        scenario.FailProvider(true);
        NotificationSendResult? failed;
        try
        {
            failed = await SendAsync(report, channel, message, scenario, check).ConfigureAwait(false);
        }
        finally
        {
            scenario.FailProvider(false);
        }

        if (failed is not null)
        {
            report.Record(Capability, check, !failed.Delivered && !string.IsNullOrWhiteSpace(failed.Error),
                $"answered {Describe(failed)}; return NotificationSendResult.Failed(\"<the provider's status and message>\") so the delivery log says why.");
        }

        const string retry = "delivers the same delivery once the provider works again";
        var before = scenario.AcceptedCount();
        if (await SendAsync(report, channel, message, scenario, retry).ConfigureAwait(false) is { } retried)
        {
            var accepted = scenario.AcceptedCount() - before;
            report.Record(Capability, retry, retried.Delivered && accepted == 1,
                $"answered {Describe(retried)}, the provider accepted {accepted}; a failed attempt must not be remembered as delivered.");
        }
    }

    private static async Task CancellationAsync(ConformanceReport report, INotificationChannel channel, NotificationScenario scenario, string run)
    {
        const string precancelled = "sends nothing when its token is already cancelled";
        var before = scenario.AcceptedCount();
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync().ConfigureAwait(false);
            var outcome = await OutcomeAsync(channel, Message(scenario, $"conformance-{run}-precancelled"), cancelled.Token).ConfigureAwait(false);
            var accepted = scenario.AcceptedCount() - before;
            report.Record(Capability, precancelled, outcome.Passed && accepted == 0,
                $"{outcome.Detail}; the provider accepted {accepted}. Check the token before sending.");
        }

        const string stalled = "stops promptly when cancelled while the provider does not answer";
        scenario.StallProvider(true);
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var outcome = await OutcomeAsync(channel, Message(scenario, $"conformance-{run}-stalled"), cancel.Token).ConfigureAwait(false);
            report.Record(Capability, stalled, outcome.Passed, $"{outcome.Detail}; pass the token to every call to the provider.");
        }
        finally
        {
            scenario.StallProvider(false);
        }
    }

    /// <summary>A cancelled send: passes when it throws OperationCanceledException or answers not delivered, promptly.</summary>
    private static async Task<(bool Passed, string Detail)> OutcomeAsync(INotificationChannel channel, NotificationMessage message, CancellationToken token)
    {
        // The token of the stalled check is cancelled 0.3 s in; either way the send has the grace after that.
        var timeout = CancellationGrace + TimeSpan.FromMilliseconds(300);
        var watch = Stopwatch.StartNew();
        try
        {
            var result = await channel.SendAsync(message, token).WaitAsync(timeout).ConfigureAwait(false);
            return (!result.Delivered, $"answered {Describe(result)} after {Seconds(watch)}");
        }
        catch (TimeoutException)
        {
            return (false, $"still running {timeout.TotalSeconds:0} s after the call, with its token cancelled");
        }
        catch (OperationCanceledException)
        {
            return (true, $"threw OperationCanceledException after {Seconds(watch)}");
        }
        catch (Exception ex)
        {
            return (false, $"threw {ex.GetType().Name} ({ex.Message}) instead of stopping as cancelled");
        }
    }

    private static async Task<NotificationSendResult?> SendAsync(ConformanceReport report, INotificationChannel channel, NotificationMessage message, NotificationScenario scenario, string check)
    {
        try
        {
            return await channel.SendAsync(message, CancellationToken.None).WaitAsync(scenario.Timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            report.Record(Capability, check, false, $"no answer within {scenario.Timeout.TotalSeconds:0} s; bound every call to the provider with a timeout.");
        }
        catch (Exception ex)
        {
            report.Record(Capability, check, false,
                $"threw {ex.GetType().Name} ({ex.Message}); the host counts an exception as a plugin failure: return NotificationSendResult.Failed(reason) for a provider's refusal or outage.");
        }

        return null;
    }

    private static string Describe(NotificationSendResult result) => result.Delivered ? "delivered" : $"not delivered ({result.Error ?? "no reason given"})";

    private static string Seconds(Stopwatch watch) => string.Create(CultureInfo.InvariantCulture, $"{watch.Elapsed.TotalSeconds:0.0} s");
}
