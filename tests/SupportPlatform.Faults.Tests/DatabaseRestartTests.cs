using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Faults.Tests.Infrastructure;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Faults.Tests;

/// <summary>
/// PostgreSQL stopped (immediate shutdown: every connection cut) and started again under load, while the host process
/// keeps running: webhooks say 503 so senders retry, the API says 503 too, readiness reports the outage, the node
/// reconnects by itself, and everything that was acknowledged is there once.
/// </summary>
public sealed class DatabaseRestartTests
{
    [Fact]
    public async Task DatabaseRestartedMidLoad_WebhooksAnswer503_ReadinessFollows_HostReconnects_NothingLost()
    {
        var server = PostgresServer.CreateOwn();
        var postgres = await server.CreateDatabaseAsync("faults_dbrestart");
        using var data = new TempDirectory("sp-faults-db-");
        FaultPlatform.InstallPlugins(data.Path, "alertmanager");
        await using var host = HostProcess.Start(FaultPlatform.Environment(data.Path, postgres, "faults-db-" + Guid.NewGuid().ToString("N")[..8]));
        await host.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var token = await host.Users.StaffTokenAsync("senior", "bea", "Bea Senior");
        using var api = FaultPlatform.Client(host, token, TimeSpan.FromSeconds(30));
        using var hooks = FaultPlatform.Client(host, timeout: TimeSpan.FromSeconds(30));
        using var probe = FaultPlatform.Client(host, timeout: TimeSpan.FromSeconds(10));
        await FaultPlatform.DefineAsync(api);

        var statuses = new ConcurrentDictionary<string, ConcurrentBag<HttpStatusCode>>();
        void Seen(string what, HttpStatusCode status) => statuses.GetOrAdd(what, _ => []).Add(status);
        var lastAnswers = new ConcurrentQueue<string>();
        async Task Remember(string what, HttpResponseMessage response)
        {
            if (!response.IsSuccessStatusCode)
            {
                lastAnswers.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {what} {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                while (lastAnswers.Count > 50 && lastAnswers.TryDequeue(out _))
                {
                }
            }
        }
        var ticketIds = new ConcurrentDictionary<int, long>();
        var acknowledgedDeliveries = new ConcurrentDictionary<int, bool>();
        var stop = new CancellationTokenSource();
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var outage = 0;

        // Senders that retry until they get a 2xx, as Alertmanager and API clients with an Idempotency-Key do.
        async Task AlertSender(int worker)
        {
            for (var d = worker; !stop.IsCancellationRequested; d += 2)
            {
                var body = FaultPlatform.AlertmanagerBody([FaultPlatform.Alert(d % FaultPlatform.Systems, $"db-check-{d}", start.AddSeconds(d))]);
                while (true)
                {
                    try
                    {
                        using var response = await FaultPlatform.PostAlertsAsync(hooks, body);
                        Seen(Volatile.Read(ref outage) == 1 ? "alerts during outage" : "alerts", response.StatusCode);
                        await Remember("alerts", response);
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledgedDeliveries[d] = true;
                            break;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        Seen("alerts (no answer)", 0);
                    }

                    await Task.Delay(200);
                }
            }
        }

        async Task TicketSender(int worker)
        {
            for (var i = worker; !stop.IsCancellationRequested; i += 2)
            {
                while (true)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tickets")
                    {
                        Content = JsonContent.Create(new { accountId = FaultPlatform.Account, requesterId = "fast-contact", subject = $"DB ticket {i}", priority = "low", description = "Load." }),
                    };
                    request.Headers.Add("Idempotency-Key", $"db-{i}");
                    try
                    {
                        using var response = await api.SendAsync(request);
                        Seen(Volatile.Read(ref outage) == 1 ? "api during outage" : "api", response.StatusCode);
                        await Remember("api", response);
                        if (response.IsSuccessStatusCode)
                        {
                            ticketIds[i] = (long)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
                            break;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        Seen("api (no answer)", 0);
                    }

                    await Task.Delay(200);
                }
            }
        }

        var senders = Task.WhenAll([.. Enumerable.Range(0, 2).Select(AlertSender), .. Enumerable.Range(0, 2).Select(TicketSender)]);
        await Eventually.TrueAsync(() => Task.FromResult(ticketIds.Count >= 10 && acknowledgedDeliveries.Count >= 10), "the load runs before the outage", 60);

        await server.StopAsync();
        Volatile.Write(ref outage, 1);
        var down = Stopwatch.StartNew();
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await probe.GetAsync("/health/ready");
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable && (await ready.Content.ReadAsStringAsync()).Contains("does not answer", StringComparison.Ordinal);
        }, "readiness reports the database outage", 20);
        using (var live = await probe.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        // Keep it down long enough for the senders to meet the outage.
        while (down.Elapsed < TimeSpan.FromSeconds(6))
        {
            await Task.Delay(200);
        }

        Volatile.Write(ref outage, 0);
        await server.StartAgainAsync();
        await Eventually.TrueAsync(async () => (await probe.GetAsync("/health/ready")).IsSuccessStatusCode, "readiness recovers without restarting the host", 60,
            async () => await probe.GetStringAsync("/health/ready"));
        var before = (ticketIds.Count, acknowledgedDeliveries.Count);
        string Report() => string.Join("; ", statuses.Select(s => $"{s.Key}: {string.Join(",", s.Value.GroupBy(v => (int)v).Select(g => $"{g.Key}x{g.Count()}"))}"));
        await Eventually.TrueAsync(() => Task.FromResult(ticketIds.Count >= before.Item1 + 10 && acknowledgedDeliveries.Count >= before.Item2 + 10), "the load goes on after the outage", 60,
            async () => $"last answers: {string.Join(" | ", lastAnswers.TakeLast(6))}; tickets {before.Item1} -> {ticketIds.Count}, alerts {before.Item2} -> {acknowledgedDeliveries.Count}; {Report()}; ready: {await probe.GetStringAsync("/health/ready")}; host log (warnings and errors): {string.Join("\n", host.Output.Split('\n').Where(l => l.Contains("warn:", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal)).TakeLast(60))}");
        await stop.CancelAsync();
        try
        {
            await senders.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The senders did not finish their last delivery within 60 s: {Report()}; last answers: {string.Join(" | ", lastAnswers.TakeLast(6))}; host log: {string.Join("\n", host.Output.Split('\n').Where(l => l.Contains("warn:", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal)).TakeLast(40))}");
        }

        var report = Report();
        Assert.True(statuses.ContainsKey("alerts during outage") || statuses.ContainsKey("api during outage"), "no request met the outage: " + report);
        foreach (var kind in new[] { "alerts during outage", "api during outage" })
        {
            if (statuses.TryGetValue(kind, out var seen))
            {
                // Only 2xx (committed just before the cut) or 503 (retry): never a 500 or a 4xx that would stop a sender.
                Assert.True(seen.All(s => (int)s is >= 200 and < 300 or 503), $"{kind}: {report}");
            }
        }

        Assert.True(statuses.Where(s => s.Key.Contains("during outage", StringComparison.Ordinal)).SelectMany(s => s.Value).Any(s => s == HttpStatusCode.ServiceUnavailable), report);
        Assert.DoesNotContain(statuses.Where(s => !s.Key.Contains("outage", StringComparison.Ordinal) && !s.Key.Contains("no answer", StringComparison.Ordinal)).SelectMany(s => s.Value), s => (int)s >= 500 && s != HttpStatusCode.ServiceUnavailable);

        // Nothing acknowledged is lost, nothing is doubled, and the same node (never restarted) did it all.
        var counts = await FaultPlatform.GroupCountAsync(postgres, "SELECT subject, count(*) FROM sp_tickets WHERE subject LIKE 'DB ticket %' GROUP BY subject");
        Assert.Equal(ticketIds.Count, counts.Count);
        Assert.DoesNotContain(counts, c => c.Count != 1);
        foreach (var (i, id) in ticketIds)
        {
            Assert.Equal($"DB ticket {i}", (string?)JsonNode.Parse(await api.GetStringAsync($"/api/tickets/{id}"))!["subject"]);
        }

        Assert.Equal(acknowledgedDeliveries.Count, await FaultPlatform.ScalarAsync(postgres, "SELECT count(*) FROM sp_monitor_alerts WHERE check_name LIKE 'db-check-%'"));
    }
}
