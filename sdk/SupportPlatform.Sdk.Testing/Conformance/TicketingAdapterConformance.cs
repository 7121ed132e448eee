using System.Net;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Sdk.Testing.Conformance;

/// <summary>
/// What <see cref="TicketingAdapterConformance"/> runs against: the plugin is configured (settings in the harness) to
/// talk to a help desk the test controls, normally a fake server on loopback built from the help desk's API
/// documentation, holding a history that spans several pages of each list at the configured page size.
/// </summary>
public sealed class TicketingScenario
{
    /// <summary>
    /// Makes the help desk answer its next request with HTTP 429 and a <c>Retry-After</c> header (once; the request
    /// after it is answered normally). Required: the bridge relies on the adapter surfacing the wait.
    /// </summary>
    public required Action RateLimitNextRequest { get; init; }

    /// <summary>A webhook delivery (without credentials) naming one ticket of the help desk, as the help desk sends it.</summary>
    public required Func<PluginHarness, WebhookRequest> Notification { get; init; }

    /// <summary>Adds the help desk's real credentials to a request (its signature, its shared secret).</summary>
    public required Func<PluginHarness, WebhookRequest, WebhookRequest> Authenticate { get; init; }

    /// <summary>Adds credentials made with a wrong secret (a forged signature, a wrong shared secret): must be refused.</summary>
    public required Func<PluginHarness, WebhookRequest, WebhookRequest> Forge { get; init; }

    /// <summary>Where the ticket export starts; default 2000-01-01 (everything).</summary>
    public DateTimeOffset Since { get; init; } = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How many pages a list may take before the kit calls it endless. Default 500.</summary>
    public int MaxPages { get; init; } = 500;

    /// <summary>The number of organisations the help desk holds, when the test knows it (checked exactly); else at least one.</summary>
    public int? Organizations { get; init; }

    /// <summary>The number of users the help desk holds, when known; else at least one.</summary>
    public int? Users { get; init; }

    /// <summary>The number of tickets changed since <see cref="Since"/>, when known; else at least one.</summary>
    public int? Tickets { get; init; }

    /// <summary>How long one adapter call may take. Default 30 s (a rate-limit wait is not taken inside a call).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Checks an <see cref="ITicketingAdapter"/> and its webhook against what the host's bridge relies on: every list is
/// read to its end by following the cursors (no page twice, no record twice, no endless loop), the export's last page
/// hands back a cursor to continue from later, reading a page again with the same cursor gives the same records (a
/// crash repeats the page in flight), a 429 surfaces as <see cref="TicketingApiException"/> with
/// <see cref="TicketingApiException.RetryAfter"/> and the status code, a ticket listed can be read alone and its
/// comments come oldest first, and the webhook queues a ticket only with the right credentials: a forged or missing
/// signature or secret is refused (401/403) and queues nothing, and a failing queue is never answered 2xx.
/// </summary>
public static class TicketingAdapterConformance
{
    private const string Capability = PluginCapabilities.TicketingAdapter;

    /// <summary>Runs every check.</summary>
    /// <param name="harness">The plugin, loaded with settings that point at the help desk of <paramref name="scenario"/>.</param>
    /// <param name="scenario">The help desk's controls and the webhook's credentials.</param>
    /// <returns>The report.</returns>
    public static async Task<ConformanceReport> RunAsync(PluginHarness harness, TicketingScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(harness);
        ArgumentNullException.ThrowIfNull(scenario);
        var report = new ConformanceReport();
        var adapters = harness.TicketingAdapters;
        if (adapters.Count != 1)
        {
            report.Record(Capability, "registers one ITicketingAdapter", false,
                $"{adapters.Count} registered; register exactly one with services.AddSingleton<ITicketingAdapter>(...) in ConfigureServices.");
            return report;
        }

        var adapter = adapters[0];
        var system = adapter.System;
        report.Record(Capability, "names its help desk", !string.IsNullOrWhiteSpace(system) && system == system.ToLowerInvariant() && !system.Contains(' ', StringComparison.Ordinal),
            $"System is '{system}'; use a short lower-case name without spaces (it keys every mapping and must never change).");

        var organizations = await PageThroughAsync(report, "organisations", scenario, (cursor, ct) => adapter.ListOrganizationsAsync(cursor, ct), o => o.Id, scenario.Organizations, requireEndCursor: false).ConfigureAwait(false);
        await PageThroughAsync(report, "users", scenario, (cursor, ct) => adapter.ListUsersAsync(cursor, ct), u => u.Id, scenario.Users, requireEndCursor: false).ConfigureAwait(false);
        var tickets = await PageThroughAsync(report, "tickets (incremental export)", scenario, (cursor, ct) => adapter.ListChangedTicketsAsync(cursor, scenario.Since, ct), t => t.Id, scenario.Tickets, requireEndCursor: true).ConfigureAwait(false);

        await RereadAsync(report, "organisations", scenario, organizations, (cursor, ct) => adapter.ListOrganizationsAsync(cursor, ct), o => o.Id).ConfigureAwait(false);
        await RereadAsync(report, "tickets (incremental export)", scenario, tickets, (cursor, ct) => adapter.ListChangedTicketsAsync(cursor, scenario.Since, ct), t => t.Id).ConfigureAwait(false);
        await RateLimitAsync(report, adapter, scenario).ConfigureAwait(false);
        await SingleTicketAsync(report, adapter, scenario, tickets).ConfigureAwait(false);
        await WebhookAsync(report, harness, scenario, system).ConfigureAwait(false);
        return report;
    }

    /// <summary>The pages of one list as read: each page's cursor (the one it was asked with) and item ids.</summary>
    private sealed record Pages(IReadOnlyList<(string? Cursor, IReadOnlyList<string> Ids)> Read);

    private static async Task<Pages?> PageThroughAsync<T>(
        ConformanceReport report, string what, TicketingScenario scenario, Func<string?, CancellationToken, Task<TicketingPage<T>>> list,
        Func<T, string> id, int? expected, bool requireEndCursor)
    {
        var pages = new List<(string? Cursor, IReadOnlyList<string> Ids)>();
        var seenCursors = new HashSet<string>(StringComparer.Ordinal);
        string? cursor = null;
        var check = $"pages through every {what} to the end";
        try
        {
            while (true)
            {
                if (pages.Count >= scenario.MaxPages)
                {
                    report.Record(Capability, check, false, $"still not at the end after {scenario.MaxPages} pages; a page must hand back a new cursor, and the last one EndOfStream or no cursor.");
                    return null;
                }

                using var cts = new CancellationTokenSource(scenario.Timeout);
                var page = await list(cursor, cts.Token).ConfigureAwait(false);
                pages.Add((cursor, page.Items.Select(id).ToList()));
                if (page.EndOfStream || page.NextCursor is null)
                {
                    if (requireEndCursor && page.NextCursor is null)
                    {
                        report.Record(Capability, $"ends the {what} with a cursor to continue from", false,
                            "the last page has no NextCursor: the bridge stores it and asks with it later for changes made since.");
                    }
                    else if (requireEndCursor)
                    {
                        report.Record(Capability, $"ends the {what} with a cursor to continue from", true, page.NextCursor!);
                    }

                    break;
                }

                if (!seenCursors.Add(page.NextCursor) || page.NextCursor == cursor)
                {
                    report.Record(Capability, check, false, $"page {pages.Count} handed back the cursor '{page.NextCursor}' again: the list would never end.");
                    return null;
                }

                cursor = page.NextCursor;
            }
        }
        catch (Exception ex)
        {
            report.Record(Capability, check, false, $"page {pages.Count + 1} failed: {ex.GetType().Name} ({ex.Message})");
            return null;
        }

        var ids = pages.SelectMany(p => p.Ids).ToList();
        var distinct = ids.Distinct(StringComparer.Ordinal).Count();
        var multiPage = pages.Count(p => p.Ids.Count > 0) > 1;
        var countOk = expected is { } n ? distinct == n : distinct > 0;
        report.Record(Capability, check, countOk && multiPage,
            !countOk ? $"{distinct} distinct {what} read in {pages.Count} pages, expected {(expected?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "at least one")}"
            : !multiPage ? $"everything came in one page: give the help desk more records than the configured page size, so the cursors are exercised."
            : $"{distinct} in {pages.Count} pages");
        if (what.StartsWith("organisations", StringComparison.Ordinal) || what.StartsWith("users", StringComparison.Ordinal))
        {
            report.Record(Capability, $"lists each of the {what} once", distinct == ids.Count,
                $"{ids.Count - distinct} repeated across pages: ids {string.Join(", ", ids.GroupBy(i => i, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).Take(5))}");
        }

        return new Pages(pages);
    }

    private static async Task RereadAsync<T>(
        ConformanceReport report, string what, TicketingScenario scenario, Pages? pages, Func<string?, CancellationToken, Task<TicketingPage<T>>> list, Func<T, string> id)
    {
        var check = $"reads a page of {what} again with the same cursor, with the same records";
        if (pages is null)
        {
            report.Record(Capability, check, false, "not checked: the list could not be read to its end.");
            return;
        }

        // The second page, the first read with a cursor the adapter handed out (the first page when there is only one).
        var (cursor, ids) = pages.Read.Count > 1 ? pages.Read[1] : pages.Read[0];
        try
        {
            using var cts = new CancellationTokenSource(scenario.Timeout);
            var again = (await list(cursor, cts.Token).ConfigureAwait(false)).Items.Select(id).ToList();
            report.Record(Capability, check, again.SequenceEqual(ids, StringComparer.Ordinal),
                $"with cursor '{cursor}': first [{string.Join(", ", ids)}], then [{string.Join(", ", again)}]; a cursor must stand for a fixed position (the bridge repeats the page in flight after a crash).");
        }
        catch (Exception ex)
        {
            report.Record(Capability, check, false, $"the repeat with cursor '{cursor}' failed: {ex.GetType().Name} ({ex.Message})");
        }
    }

    private static async Task RateLimitAsync(ConformanceReport report, ITicketingAdapter adapter, TicketingScenario scenario)
    {
        const string check = "surfaces a 429 as TicketingApiException with RetryAfter";
        scenario.RateLimitNextRequest();
        try
        {
            using var cts = new CancellationTokenSource(scenario.Timeout);
            await adapter.ListOrganizationsAsync(null, cts.Token).ConfigureAwait(false);
            report.Record(Capability, check, false,
                "the call returned normally although the help desk answered 429: do not wait or retry inside the adapter; throw TicketingApiException(429, message, Retry-After) so the bridge waits and shows it.");
            return;
        }
        catch (TicketingApiException ex)
        {
            var ok = ex.StatusCode == (int)HttpStatusCode.TooManyRequests && ex.RetryAfter is { } wait && wait > TimeSpan.Zero;
            report.Record(Capability, check, ok, $"StatusCode {ex.StatusCode}, RetryAfter {ex.RetryAfter?.ToString() ?? "null"}; set both from the answer and its Retry-After header.");
        }
        catch (Exception ex)
        {
            report.Record(Capability, check, false, $"threw {ex.GetType().Name} ({ex.Message}) instead of TicketingApiException.");
        }

        try
        {
            using var cts = new CancellationTokenSource(scenario.Timeout);
            await adapter.ListOrganizationsAsync(null, cts.Token).ConfigureAwait(false);
            report.Record(Capability, "answers normally once the rate limit has passed", true, "ok");
        }
        catch (Exception ex)
        {
            report.Record(Capability, "answers normally once the rate limit has passed", false, $"the same call afterwards failed: {ex.GetType().Name} ({ex.Message})");
        }
    }

    private static async Task SingleTicketAsync(ConformanceReport report, ITicketingAdapter adapter, TicketingScenario scenario, Pages? tickets)
    {
        if (tickets?.Read.SelectMany(p => p.Ids).FirstOrDefault() is not { } ticketId)
        {
            report.Record(Capability, "reads a listed ticket alone, with its comments oldest first", false, "not checked: no ticket was listed.");
            return;
        }

        try
        {
            using var cts = new CancellationTokenSource(scenario.Timeout);
            var ticket = await adapter.GetTicketAsync(ticketId, cts.Token).ConfigureAwait(false);
            var comments = await adapter.ListCommentsAsync(ticketId, cts.Token).ConfigureAwait(false);
            var ordered = comments.Zip(comments.Skip(1)).All(p => p.First.CreatedAt <= p.Second.CreatedAt);
            var distinct = comments.Select(c => c.Id).Distinct(StringComparer.Ordinal).Count() == comments.Count;
            report.Record(Capability, "reads a listed ticket alone, with its comments oldest first",
                ticket?.Id == ticketId && ordered && distinct,
                ticket?.Id != ticketId ? $"GetTicketAsync(\"{ticketId}\") returned {(ticket is null ? "null" : $"ticket '{ticket.Id}'")}"
                : !ordered ? "the comments are not oldest first"
                : "a comment id repeats");
        }
        catch (Exception ex)
        {
            report.Record(Capability, "reads a listed ticket alone, with its comments oldest first", false, $"{ex.GetType().Name} ({ex.Message})");
        }
    }

    private static async Task WebhookAsync(ConformanceReport report, PluginHarness harness, TicketingScenario scenario, string system)
    {
        IWebhookHandler handler;
        try
        {
            handler = harness.WebhookHandler;
        }
        catch (InvalidOperationException ex)
        {
            report.Record(PluginCapabilities.Webhook, "receives the help desk's change notifications", false, ex.Message);
            return;
        }

        async Task<WebhookResponse?> SendAsync(WebhookRequest request, string check)
        {
            try
            {
                using var cts = new CancellationTokenSource(scenario.Timeout);
                return await handler.HandleAsync(request, cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                report.Record(PluginCapabilities.Webhook, check, false, $"the handler threw {ex.GetType().Name} ({ex.Message}); answer with a status code.");
                return null;
            }
        }

        var before = harness.Ticketing.Queued.Count;
        const string forgedCheck = "refuses a notification with a forged signature or wrong secret, queueing nothing";
        if (await SendAsync(scenario.Forge(harness, scenario.Notification(harness)), forgedCheck).ConfigureAwait(false) is { } forged)
        {
            report.Record(PluginCapabilities.Webhook, forgedCheck, forged.StatusCode is 401 or 403 && harness.Ticketing.Queued.Count == before,
                $"answered {forged.StatusCode}, {harness.Ticketing.Queued.Count - before} queued");
        }

        const string missingCheck = "refuses a notification without credentials, queueing nothing";
        if (await SendAsync(scenario.Notification(harness), missingCheck).ConfigureAwait(false) is { } missing)
        {
            report.Record(PluginCapabilities.Webhook, missingCheck, missing.StatusCode is 401 or 403 && harness.Ticketing.Queued.Count == before,
                $"answered {missing.StatusCode}, {harness.Ticketing.Queued.Count - before} queued");
        }

        const string failingCheck = "does not answer 2xx when the sync queue cannot be written";
        harness.FailHostServices(true);
        try
        {
            if (await SendAsync(scenario.Authenticate(harness, scenario.Notification(harness)), failingCheck).ConfigureAwait(false) is { } failing)
            {
                report.Record(PluginCapabilities.Webhook, failingCheck, failing.StatusCode >= 500,
                    $"answered {failing.StatusCode}; answer 5xx so the help desk delivers the notification again.");
            }
        }
        finally
        {
            harness.FailHostServices(false);
        }

        const string goodCheck = "queues the ticket of a genuine notification before answering 2xx";
        if (await SendAsync(scenario.Authenticate(harness, scenario.Notification(harness)), goodCheck).ConfigureAwait(false) is { } good)
        {
            var queued = harness.Ticketing.Queued.Skip(before).ToList();
            report.Record(PluginCapabilities.Webhook, goodCheck,
                good.StatusCode is >= 200 and < 300 && queued.Count == 1 && queued[0].System == system,
                $"answered {good.StatusCode}; queued [{string.Join(", ", queued.Select(q => $"{q.System}/{q.TicketId}"))}]; call ITicketingSink.TicketChangedAsync(\"{system}\", id) before answering.");
        }
    }
}
