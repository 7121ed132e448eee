using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Faults.Tests.Infrastructure;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;
using Xunit.Abstractions;

namespace SupportPlatform.Faults.Tests;

/// <summary>
/// The host as a real process on PostgreSQL, under a mixed load (API tickets with Idempotency-Key, mail over IMAP from a
/// real Dovecot, Alertmanager notifications, signed Twilio call callbacks), killed with SIGKILL in the middle of it and
/// started again. The senders then do what the real ones do: retry what was not acknowledged (and some of what was).
/// </summary>
public sealed class CrashUnderLoadTests(ITestOutputHelper output)
{
    private const int SlaTickets = 4;
    private const int Mails = 30;

    [Fact]
    public async Task HostKilledMidLoad_EveryAcknowledgedItemOnce_DeadlinesDuringOutageFire_PhoneCountsExact()
    {
        using var data = new TempDirectory("sp-faults-crash-");
        await using var dovecot = await DovecotServer.StartAsync();
        var postgres = await PostgresServer.Shared.CreateDatabaseAsync("faults_crash");
        FaultPlatform.InstallPlugins(data.Path, "alertmanager", "twilio", "email-imap");
        var clusterId = "faults-crash-" + Guid.NewGuid().ToString("N")[..8];

        var tickets = new ConcurrentDictionary<int, long>();          // acknowledged: index -> ticket id
        var ticketsTried = new ConcurrentDictionary<int, bool>();
        var deliveries = new ConcurrentDictionary<int, string>();     // every notification tried: index -> body
        var deliveriesAcked = new ConcurrentDictionary<int, bool>();
        var calls = new ConcurrentDictionary<int, int>();             // every call tried: index -> talk seconds
        var callsStep = new ConcurrentDictionary<int, int>();         // callbacks acknowledged per call
        var slaTickets = new List<(long Id, DateTimeOffset CreatedAt)>();
        string agentToken;
        var alertsStart = DateTimeOffset.UtcNow.AddHours(-1);

        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} start");
        var first = HostProcess.Start(FaultPlatform.Environment(data.Path, postgres, clusterId, dovecot));
        try
        {
            await first.WaitReadyAsync(TimeSpan.FromSeconds(120));
            agentToken = await first.Users.StaffTokenAsync("senior", "alice", "Alice Agent");
            using var staff = FaultPlatform.Client(first, agentToken);
            await FaultPlatform.DefineAsync(staff);
            await FaultPlatform.SetAgentOnDutyAsync(staff, "alice");

            output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} ready and defined");

            // Deadlines that will fall due while the host is down: critical tickets owed a first response in one minute.
            for (var i = 0; i < SlaTickets; i++)
            {
                var created = await FaultPlatform.Ok(await staff.PostAsJsonAsync("/api/tickets", new
                {
                    accountId = FaultPlatform.Account, requesterId = "fast-contact", subject = $"SLA ticket {i}", priority = "critical", description = "Nobody answers yet.",
                }));
                slaTickets.Add(((long)created["id"]!, DateTimeOffset.Parse((string)created["createdAt"]!, CultureInfo.InvariantCulture)));
            }

            // Mail waiting in the mailbox and arriving during the load: the IMAP adapter imports it in the background.
            await dovecot.DeliverManyAsync(Enumerable.Range(0, Mails / 2).Select(Mail), "user@client.example", "support@test.local");

            using var anonymous = FaultPlatform.Client(first);
            var killed = 0;
            var clock = Stopwatch.StartNew();
            bool Running() => Volatile.Read(ref killed) == 0;

            async Task TicketWorker(int worker)
            {
                for (var i = worker; Running(); i += 4)
                {
                    ticketsTried[i] = true;
                    if (await TryCreateTicketAsync(staff, i) is { } id)
                    {
                        tickets[i] = id;
                    }
                }
            }

            async Task AlertWorker(int worker)
            {
                for (var d = worker; Running(); d += 3)
                {
                    deliveries[d] = Delivery(d, alertsStart);
                    try
                    {
                        using var response = await FaultPlatform.PostAlertsAsync(anonymous, deliveries[d]);
                        if (response.IsSuccessStatusCode)
                        {
                            deliveriesAcked[d] = true;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                    }
                }
            }

            async Task CallWorker(int worker)
            {
                for (var c = worker; Running(); c += 2)
                {
                    calls[c] = 30 + (c % 17 * 60);
                    callsStep[c] = 0;
                    foreach (var (hook, form) in FaultPlatform.AnsweredCall(Sid(c), calls[c]))
                    {
                        try
                        {
                            using var response = await FaultPlatform.PostTwilioAsync(anonymous, hook, form);
                            if (!response.IsSuccessStatusCode)
                            {
                                break;
                            }

                            callsStep[c]++;
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                        {
                            break;
                        }
                    }
                }
            }

            async Task Killer()
            {
                await dovecot.DeliverManyAsync(Enumerable.Range(Mails / 2, Mails / 2).Select(Mail), "user@client.example", "support@test.local");
                while (clock.Elapsed < TimeSpan.FromSeconds(15) && (tickets.Count < 60 || deliveriesAcked.Count < 30 || callsStep.Count(s => s.Value == 4) < 10))
                {
                    await Task.Delay(100);
                }

                first.Kill();
                Volatile.Write(ref killed, 1);
            }

            await Task.WhenAll([Killer(), .. Enumerable.Range(0, 4).Select(TicketWorker), .. Enumerable.Range(0, 3).Select(AlertWorker), .. Enumerable.Range(0, 2).Select(CallWorker)]);
        }
        finally
        {
            first.Kill();
            await first.DisposeAsync();
        }

        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} killed: {tickets.Count}/{ticketsTried.Count} tickets, {deliveriesAcked.Count}/{deliveries.Count} notifications, {callsStep.Count(s => s.Value == 4)}/{calls.Count} calls acknowledged");
        Assert.True(tickets.Count >= 20 && deliveriesAcked.Count >= 10 && callsStep.Any(s => s.Value == 4),
            $"too little load acknowledged before the kill: {tickets.Count} tickets, {deliveriesAcked.Count} alert notifications, {callsStep.Count(s => s.Value == 4)} calls");

        // Stay down until every SLA deadline of the load has fallen due: they must fire after the restart.
        var lastDue = slaTickets.Max(t => t.CreatedAt).AddMinutes(1);
        var wait = lastDue - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var restartedAt = DateTimeOffset.UtcNow;
        await using var second = HostProcess.Start(FaultPlatform.Environment(data.Path, postgres, clusterId + "-2", dovecot));
        await second.WaitReadyAsync(TimeSpan.FromSeconds(120));
        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} restarted (started at {restartedAt:HH:mm:ss.fff})");
        using var api = FaultPlatform.Client(second, agentToken, TimeSpan.FromSeconds(60));
        using var hooks = FaultPlatform.Client(second, timeout: TimeSpan.FromSeconds(60));

        // Every deadline that fell due during the outage fires once the node is back.
        foreach (var (id, createdAt) in slaTickets)
        {
            await Eventually.TrueAsync(async () => (await SlaEventsAsync(api, id)).Breach is not null, $"the first-response breach of SLA ticket {id} fires after the restart", 45);
            var (warning, breach) = await SlaEventsAsync(api, id);
            Assert.Equal(createdAt.AddMinutes(1), breach!.Value.DueAt);
            Assert.True(breach.Value.At >= restartedAt, $"breach of {id} recorded at {breach.Value.At:O}, before the restart at {restartedAt:O}");
            Assert.NotNull(warning);
        }

        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} deadlines fired");

        // Senders retry: tickets with their Idempotency-Key, notifications and callbacks that got no 2xx, and (as
        // Alertmanager and Twilio do) some that did.
        foreach (var i in ticketsTried.Keys)
        {
            var id = await TryCreateTicketAsync(api, i) ?? throw new InvalidOperationException($"retry of ticket {i} failed after the restart");
            if (tickets.TryGetValue(i, out var acknowledged))
            {
                Assert.Equal(acknowledged, id);
            }
        }

        foreach (var (d, body) in deliveries)
        {
            await FaultPlatform.Ok(await FaultPlatform.PostAlertsAsync(hooks, body));
        }

        foreach (var (c, talk) in calls)
        {
            var steps = FaultPlatform.AnsweredCall(Sid(c), talk);
            // Twilio retries the callback that failed, then the call goes on; a completed call's last callback is repeated.
            var from = callsStep[c] == 4 ? 3 : callsStep[c];
            foreach (var (hook, form) in steps.Skip(from))
            {
                await FaultPlatform.Ok(await FaultPlatform.PostTwilioAsync(hooks, hook, form));
            }
        }

        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} senders retried");

        // Exactly once: tickets by subject, alerts by their identity, calls by CallSid, mail by subject.
        var ticketCounts = await FaultPlatform.GroupCountAsync(postgres, "SELECT subject, count(*) FROM sp_tickets WHERE subject LIKE 'Load ticket %' GROUP BY subject");
        Assert.DoesNotContain(ticketCounts, t => t.Count != 1);
        Assert.Equal(ticketsTried.Count, ticketCounts.Count);

        var distinctAlerts = deliveries.Count * 2;
        Assert.Equal(distinctAlerts, await FaultPlatform.ScalarAsync(postgres, "SELECT count(*) FROM sp_monitor_alerts WHERE source = 'alertmanager'"));

        var expectedMinutes = calls.Values.Sum(FaultPlatform.CountedMinutes);
        await Eventually.TrueAsync(
            async () => await UsedMinutesAsync(api) == expectedMinutes,
            $"the phone allowance counts {expectedMinutes} minutes for {calls.Count} calls", 45,
            async () => $"used: {await UsedMinutesAsync(api)}; calls: {await api.GetStringAsync($"/api/phone/calls?accountId={FaultPlatform.Account}&limit=1000")}");
        var log = JsonNode.Parse(await api.GetStringAsync($"/api/phone/calls?accountId={FaultPlatform.Account}&limit=1000"))!.AsArray();
        Assert.Equal(calls.Count, log.Count);
        foreach (var (c, talk) in calls)
        {
            var call = Assert.Single(log, l => (string?)l!["id"] == "twilio:" + Sid(c) || (string?)l!["callId"] == Sid(c))!;
            Assert.Equal(talk, (long)call["talkSeconds"]!);
            Assert.Equal(FaultPlatform.CountedMinutes(talk), (int)call["countedMinutes"]!);
        }

        Assert.Equal(calls.Count, await FaultPlatform.ScalarAsync(postgres, $"SELECT count(*) FROM sp_allowance_usage WHERE account_id = '{FaultPlatform.Account}'"));

        await Eventually.TrueAsync(
            async () => await FaultPlatform.ScalarAsync(postgres, "SELECT count(*) FROM sp_tickets WHERE channel = 'email' AND subject LIKE 'IMAP message %'") >= Mails,
            $"all {Mails} messages of the mailbox are imported", 60);
        var mailCounts = await FaultPlatform.GroupCountAsync(postgres, "SELECT subject, count(*) FROM sp_tickets WHERE subject LIKE 'IMAP message %' GROUP BY subject");
        Assert.Equal(Mails, mailCounts.Count);
        Assert.DoesNotContain(mailCounts, m => m.Count != 1);
        await Eventually.TrueAsync(async () => (await dovecot.ListMessageIdsAsync("support@test.local", "INBOX")).Count == 0, "the mailbox's inbox is emptied (messages moved once stored)", 30);
    }

    private static string Sid(int c) => "CAcrash" + c.ToString("D4", CultureInfo.InvariantCulture);

    private static byte[] Mail(int i) => Encoding.UTF8.GetBytes(
        $"From: Pat {i} <pat{i}@client.example>\r\nTo: support@test.local\r\nSubject: IMAP message {i}\r\nMessage-ID: <imap-crash-{i}@client.example>\r\n" +
        $"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer on floor {i} is jammed.\r\n");

    /// <summary>Two alerts of their own per notification, on a system picked by the index.</summary>
    private static string Delivery(int d, DateTimeOffset start) => FaultPlatform.AlertmanagerBody(
    [
        FaultPlatform.Alert(d % FaultPlatform.Systems, $"disk-{d}", start.AddSeconds(d)),
        FaultPlatform.Alert(d % FaultPlatform.Systems, $"load-{d}", start.AddSeconds(d)),
    ]);

    private static async Task<long?> TryCreateTicketAsync(HttpClient client, int i)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tickets")
        {
            Content = JsonContent.Create(new { accountId = FaultPlatform.Account, requesterId = "fast-contact", subject = $"Load ticket {i}", priority = "low", description = "Load." }),
        };
        request.Headers.Add("Idempotency-Key", $"load-{i}");
        try
        {
            using var response = await client.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            return (long)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task<int> UsedMinutesAsync(HttpClient api) =>
        (int)JsonNode.Parse(await api.GetStringAsync($"/api/accounts/{FaultPlatform.Account}/allowance"))!["usedMinutes"]!;

    internal static async Task<((DateTimeOffset DueAt, DateTimeOffset At)? Warning, (DateTimeOffset DueAt, DateTimeOffset At)? Breach)> SlaEventsAsync(HttpClient api, long ticket)
    {
        var history = JsonNode.Parse(await api.GetStringAsync($"/api/tickets/{ticket}/history"))!.AsArray();
        (DateTimeOffset, DateTimeOffset)? Find(string kind) => history
            .Select(h => h!["event"]!)
            .Where(e => (string?)e["kind"] == kind && (string?)e["clock"] == "first-response")
            .Select(e => ((DateTimeOffset, DateTimeOffset)?)(DateTimeOffset.Parse((string)e["dueAt"]!, CultureInfo.InvariantCulture), DateTimeOffset.Parse((string)e["at"]!, CultureInfo.InvariantCulture)))
            .FirstOrDefault();
        return (Find("sla-warning"), Find("sla-breach"));
    }
}
