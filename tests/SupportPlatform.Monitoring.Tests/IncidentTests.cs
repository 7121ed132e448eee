using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SupportPlatform.Monitoring.Tests;

public sealed class SqliteIncidentTests(SqliteMonitoring fixture) : IncidentTests(fixture), IClassFixture<SqliteMonitoring>;

public sealed class PostgreSqlIncidentTests(PostgreSqlMonitoring fixture) : IncidentTests(fixture), IClassFixture<PostgreSqlMonitoring>;

/// <summary>Alerts to incidents to tickets, end to end: real host, real silo, real database (each back-end).</summary>
public abstract class IncidentTests(MonitoringFixture fixture)
{
    private readonly HttpClient staff = fixture.Staff;
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow.AddMinutes(-30);

    [Fact]
    public async Task Critical_RepeatedAndRecovered_OneTicketNotedAndResolved()
    {
        await staff.NewSystemAsync("acme-mon", "acme-mail", "mail.acme.example", "10.0.0.5");

        var first = (await staff.SubmitAsync(Api.Alert("MAIL.acme.example", "critical", "p-1", T0)))[0]!;
        Assert.Equal("accepted", (string)first["disposition"]!);
        Assert.Equal("acme-mail", (string)first["systemId"]!);
        var ticketId = (long)first["ticketId"]!;
        var ticket = await staff.TicketAsync(ticketId, _ => true);
        Assert.Equal(("monitoring", "high", "acme-mon"), ((string)ticket["channel"]!, (string)ticket["priority"]!, (string)ticket["accountId"]!));
        Assert.Contains("acme-mail server", (string)ticket["subject"]!);
        Assert.Contains("ping", (string)ticket["description"]!);
        Assert.Equal("acme-mail#1", (string)ticket["externalReferences"]![0]!["reference"]!);

        // A retry of the same delivery is a duplicate; a repeat (new time, same state, other host name) joins the incident.
        var retry = (await staff.SubmitAsync(Api.Alert("mail.acme.example", "critical", "p-1", T0)))[0]!;
        var repeat = (await staff.SubmitAsync(Api.Alert("10.0.0.5", "critical", "p-1", T0.AddMinutes(1))))[0]!;
        Assert.Equal("duplicate", (string)retry["disposition"]!);
        Assert.Equal(("accepted", ticketId, "acme-mail#1"), ((string)repeat["disposition"]!, (long)repeat["ticketId"]!, (string)repeat["incidentId"]!));

        var system = await staff.GetJson("/api/monitoring/systems/acme-mail");
        Assert.Equal("critical", (string)system["status"]!);
        Assert.Equal(2, (int)system["checks"]![0]!["alerts"]!);
        Assert.Equal(2, (int)system["openIncident"]!["alerts"]!);

        var recovery = (await staff.SubmitAsync(Api.Alert("mail.acme.example", "ok", "p-1", T0.AddMinutes(10), summary: "PING OK - rta 1ms")))[0]!;
        Assert.Equal("acme-mail#1", (string)recovery["incidentId"]!);
        var resolved = await staff.TicketAsync(ticketId, t => (string)t["status"]! == "resolved");
        Assert.Equal("Every check of the incident has recovered.", (string)resolved["resolutionNote"]!);
        var history = await staff.HistoryAsync(ticketId);
        Assert.Contains(history, h => ((string?)h!["event"]!["body"] ?? "").StartsWith("Recovered: 'ping' is ok", StringComparison.Ordinal)
            && (string)h["event"]!["visibility"]! == "internal");
        Assert.Equal(1, await staff.MonitoringTicketsAsync("acme-mon"));

        var incidents = (await staff.GetJson("/api/monitoring/incidents?systemId=acme-mail")).AsArray();
        var incident = Assert.Single(incidents)!;
        Assert.Equal(("resolved", 3L), ((string)incident["status"]!, (long)incident["alerts"]!));
        var changes = (await staff.GetJson("/api/monitoring/systems/acme-mail/history")).AsArray();
        Assert.Equal(["ping:ok>critical", "*:up>down", "ping:critical>ok", "*:down>up"],
            changes.Reverse().Select(c => $"{c!["check"]}:{c["from"]}>{c["to"]}"));
        Assert.Equal(3, (await staff.GetJson("/api/monitoring/systems/acme-mail/alerts")).AsArray().Count);

        // Down for ten minutes of the measured time.
        var uptime = await staff.GetJson("/api/monitoring/systems/acme-mail/uptime?period=day&count=2");
        Assert.Equal(600, (double)uptime["last7Days"]!["downSeconds"]!, 0.5);
        Assert.True((double)uptime["last7Days"]!["uptimePercent"]! < 100);
    }

    [Fact]
    public async Task ConcurrentDeliveriesWithRetries_OneTicket()
    {
        await staff.NewSystemAsync("storm-mon", "storm-db", "db.storm.example");
        var deliveries = Enumerable.Range(0, 40).Select(i => staff.SubmitAsync(
            Api.Alert("db.storm.example", "critical", "disk", T0.AddSeconds(i % 10), check: "disk"),
            Api.Alert("db.storm.example", "critical", "load", T0.AddSeconds(i % 7), check: "load")));
        var receipts = (await Task.WhenAll(deliveries)).SelectMany(r => r).ToList();

        Assert.Equal(17, receipts.Count(r => (string)r!["disposition"]! == "accepted"));
        Assert.Single(receipts.Select(r => (long)r!["ticketId"]!).Distinct());
        Assert.Equal(17, (await staff.GetJson("/api/monitoring/systems/storm-db/alerts")).AsArray().Count);
        await staff.TicketAsync((long)receipts[0]!["ticketId"]!, _ => true);
        Assert.Equal(1, await staff.MonitoringTicketsAsync("storm-mon"));
        var incident = (await staff.GetJson("/api/monitoring/systems/storm-db"))["openIncident"]!;
        Assert.Equal(["disk", "load"], incident["checks"]!.AsArray().Select(c => (string)c!).Order());
    }

    [Fact]
    public async Task SecurityEvent_CriticalTicketInSecurityQueue()
    {
        await staff.NewSystemAsync("sec-mon", "sec-fw", "fw.sec.example");

        var receipt = (await staff.SubmitAsync(Api.Alert("fw.sec.example", "warning", "ssh-brute", T0, check: "ssh logins", category: "security", summary: "12 failed logins from 203.0.113.9")))[0]!;

        var ticket = await staff.TicketAsync((long)receipt["ticketId"]!, t => (string?)t["group"] == "security");
        Assert.Equal("critical", (string)ticket["priority"]!);
        Assert.StartsWith("[Security]", (string)ticket["subject"]!);
        var system = await staff.GetJson("/api/monitoring/systems/sec-fw");
        Assert.Equal("critical", (string)system["checks"]![0]!["state"]!);
        // Security events never count as downtime.
        Assert.Equal(0, (double)(await staff.GetJson("/api/monitoring/systems/sec-fw/uptime"))["last7Days"]!["downSeconds"]!);
    }

    [Fact]
    public async Task CriticalSystemIncident_PagesTheOnCallEngineerThroughTheEscalationPolicy()
    {
        // A critical system: its own rules make a critical alert a critical ticket; the account's policy for
        // monitoring incidents pages whoever is on call for "noc".
        var admin = fixture.Factory.CreateClient(await fixture.Factory.Users.StaffTokenAsync("admin", "mon-admin", "Mon Admin"));
        await fixture.Factory.Users.StaffTokenAsync("senior", "nora", "Nora Noc");
        (await staff.PutAsJsonAsync("/api/accounts/crit-mon", new { name = "Crit Ltd", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        await (await staff.PutAsJsonAsync("/api/monitoring/systems/crit-db", new
        {
            accountId = "crit-mon", name = "crit-db server", hostNames = new[] { "db.crit.example" },
            rules = new { openOn = new[] { "critical" }, priorities = new Dictionary<string, string> { ["critical"] = "critical" } },
        })).Json();
        await (await staff.PutAsJsonAsync("/api/monitoring/systems/crit-web", new { accountId = "crit-mon", name = "crit-web server", hostNames = new[] { "web.crit.example" } })).Json();
        await (await admin.PutAsJsonAsync("/api/oncall/schedules/noc", new
        {
            team = "noc", timeZone = "Europe/London",
            layers = new[] { new { name = "weekly", users = new[] { "nora" }, handoff = "weekly", handoffTime = "09:00", start = "2026-01-05" } },
        })).Json();
        await (await admin.PutAsJsonAsync("/api/escalation-policies/crit-mon-incidents", new
        {
            accountId = "crit-mon", triggers = new[] { "monitoring-incident" },
            steps = new object[] { new { afterMinutes = 0, targets = new[] { new { kind = "on-call", team = "noc" } }, channels = new[] { "in-app" } } },
        })).Json();

        var db = (long)(await staff.SubmitAsync(Api.Alert("db.crit.example", "critical", "db-1", T0)))[0]!["ticketId"]!;
        var web = (long)(await staff.SubmitAsync(Api.Alert("web.crit.example", "critical", "web-1", T0)))[0]!["ticketId"]!;
        Assert.Equal("critical", (string)(await staff.TicketAsync(db, _ => true))["priority"]!);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonArray escalations;
        while ((escalations = (await admin.GetJson($"/api/escalations?ticketId={db}")).AsArray()).Count == 0 || escalations[0]!["steps"]!.AsArray().Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the incident's escalation never ran its first step");
            await Task.Delay(100);
        }

        Assert.Equal(("monitoring-incident", "nora"), ((string?)escalations[0]!["trigger"], (string?)escalations[0]!["steps"]![0]!["notified"]![0]));
        var notes = await staff.HistoryAsync(db);
        Assert.Contains(notes, h => ((string?)h!["event"]!["body"] ?? "") == "Escalation step 1 of 1 (monitoring-incident): notified on call noc: nora.");

        // The system that is not critical opens a high-priority ticket: no policy step pages anyone for it.
        Assert.Equal("high", (string)(await staff.TicketAsync(web, _ => true))["priority"]!);
        Assert.Empty((await admin.GetJson($"/api/escalations?ticketId={web}")).AsArray());
    }

    [Fact]
    public async Task AccountRules_WarningIgnoredPriorityMappedRecoveryLeavesOpen()
    {
        await staff.NewSystemAsync("rules-mon", "rules-web", "web.rules.example");
        await (await staff.PutAsJsonAsync("/api/monitoring/accounts/rules-mon/rules", new
        {
            openOn = new[] { "critical" },
            priorities = new Dictionary<string, string> { ["critical"] = "critical" },
            resolveOnRecovery = false,
            group = "l2",
        })).Json();

        var warning = (await staff.SubmitAsync(Api.Alert("web.rules.example", "warning", "w", T0, check: "http")))[0]!;
        Assert.Null(warning["ticketId"]);
        var critical = (await staff.SubmitAsync(Api.Alert("web.rules.example", "critical", "w", T0.AddMinutes(1), check: "http")))[0]!;
        var ticketId = (long)critical["ticketId"]!;
        var ticket = await staff.TicketAsync(ticketId, t => (string?)t["group"] == "l2");
        Assert.Equal("critical", (string)ticket["priority"]!);

        await staff.SubmitAsync(Api.Alert("web.rules.example", "ok", "w", T0.AddMinutes(2), check: "http"));
        await staff.TicketAsync(ticketId, t => true);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(await staff.HistoryAsync(ticketId)).Any(h => ((string?)h!["event"]!["body"] ?? "").Contains("leave the ticket open", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the recovery note did not arrive");
            await Task.Delay(100);
        }

        Assert.NotEqual("resolved", (string)(await staff.GetJson($"/api/tickets/{ticketId}"))["status"]!);
        Assert.Equal("resolved", (string)(await staff.GetJson("/api/monitoring/incidents?systemId=rules-web"))[0]!["status"]!);
    }

    [Fact]
    public async Task RulesNotify_TellsTheNamedStaffOfEachNewIncident_Once_AndUnknownIdsAreRefused()
    {
        await staff.NewSystemAsync("notify-mon", "notify-web", "web.notify.example");
        await fixture.Factory.Users.StaffTokenAsync("agent", "nell", "Nell Night");
        var refused = await (await staff.PutAsJsonAsync("/api/monitoring/accounts/notify-mon/rules", new { notify = new[] { "nell", "nobody-here" } })).Json(422);
        Assert.Contains("'nobody-here', which is not an active staff user", (string)refused["detail"]!, StringComparison.Ordinal);
        await (await staff.PutAsJsonAsync("/api/monitoring/accounts/notify-mon/rules", new { notify = new[] { "nell" } })).Json();

        var receipt = (await staff.SubmitAsync(Api.Alert("web.notify.example", "critical", "http", T0, check: "https")))[0]!;
        var ticketId = (long)receipt["ticketId"]!;
        // A repeat of the alert and a second failing check join the incident: still one notification.
        await staff.SubmitAsync(Api.Alert("web.notify.example", "critical", "http", T0.AddMinutes(1), check: "https"), Api.Alert("web.notify.example", "critical", "ping", T0.AddMinutes(2), check: "ping"));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        var told = new List<JsonNode>();
        while (DateTime.UtcNow < deadline && told.Count == 0)
        {
            told = [.. (await staff.GetJson("/api/notifications/deliveries?userId=nell&limit=500")).AsArray().Where(d => (long?)d!["ticketId"] == ticketId).Select(d => d!)];
            await Task.Delay(200);
        }

        var first = Assert.Single(told, d => (string?)d["channel"] == "in-app");
        Assert.Equal("new-ticket", (string?)first["eventType"]);
        Assert.StartsWith("monitoring/", (string?)first["eventKey"], StringComparison.Ordinal);
        Assert.Contains($"incident #{ticketId} on notify-web", (string?)first["subject"], StringComparison.Ordinal);
        Assert.Single(told.Select(d => (string?)d["notificationId"]).Distinct());
    }

    [Fact]
    public async Task SystemRulesNotify_UnknownOrInactiveStaff_422NamingThem_NothingSaved()
    {
        await staff.NewSystemAsync("sysnotify-mon", "sysnotify-web", "web.sysnotify.example");
        await fixture.Factory.Users.StaffTokenAsync("agent", "sysnotify-nia", "Nia Night");
        await fixture.Factory.Users.StaffTokenAsync("agent", "sysnotify-gone", "Gus Gone");
        using var admin = fixture.Factory.CreateClient(await fixture.Factory.Users.StaffTokenAsync("admin", "sysnotify-ada", "Ada Admin"));
        (await admin.PatchAsJsonAsync("/api/staff/sysnotify-gone", new { active = false })).EnsureSuccessStatusCode();

        var refused = await (await staff.PutAsJsonAsync("/api/monitoring/systems/sysnotify-web",
            new { accountId = "sysnotify-mon", name = "Renamed", rules = new { notify = new[] { "sysnotify-nia", "sysnotify-gone", "nobody-at-all" } } })).Json(422);
        Assert.Equal("invalid-system", (string?)refused["code"]);
        Assert.Contains("'sysnotify-gone', 'nobody-at-all', which are not active staff users", (string)refused["detail"]!, StringComparison.Ordinal);
        Assert.DoesNotContain("sysnotify-nia'", (string)refused["detail"]!, StringComparison.Ordinal);
        var unchanged = await staff.GetJson("/api/monitoring/systems/sysnotify-web");
        Assert.Equal("sysnotify-web server", (string)unchanged["name"]!);
        Assert.Null(unchanged["rules"]);

        var saved = await (await staff.PutAsJsonAsync("/api/monitoring/systems/sysnotify-web",
            new { accountId = "sysnotify-mon", rules = new { notify = new[] { "sysnotify-nia" } } })).Json();
        Assert.Equal("sysnotify-nia", (string)saved["rules"]!["notify"]![0]!);
    }

    [Fact]
    public async Task Rules_Invalid_422WithReason()
    {
        await staff.NewSystemAsync("badrules-mon", "badrules-x", "x.badrules.example");
        var problem = await (await staff.PutAsJsonAsync("/api/monitoring/accounts/badrules-mon/rules", new { openOn = new[] { "ok" }, flapThreshold = 1 })).Json(422);
        Assert.Contains("openOn cannot contain 'ok'", (string)problem["detail"]!);
        Assert.Contains("flapThreshold", (string)problem["detail"]!);
    }

    [Fact]
    public async Task QuietHours_CriticalOutsideOpenOnOpensNoTicket()
    {
        await staff.NewSystemAsync("quiet-mon", "quiet-nas", "nas.quiet.example");
        var london = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/London"));
        var start = TimeOnly.FromDateTime(london.DateTime).AddHours(-1);
        await (await staff.PutAsJsonAsync("/api/monitoring/accounts/quiet-mon/rules", new
        {
            quietHours = new { start = start.ToString("HH:mm"), end = start.AddHours(3).ToString("HH:mm"), openOn = Array.Empty<string>() },
        })).Json();

        var receipt = (await staff.SubmitAsync(Api.Alert("nas.quiet.example", "critical", "q", T0)))[0]!;

        Assert.Equal("accepted", (string)receipt["disposition"]!);
        Assert.Null(receipt["ticketId"]);
        Assert.Equal("critical", (string)(await staff.GetJson("/api/monitoring/systems/quiet-nas"))["status"]!);
    }

    [Fact]
    public async Task Maintenance_NoTicketAndNotDowntime()
    {
        await staff.NewSystemAsync("maint-mon", "maint-app", "app.maint.example");
        var now = DateTimeOffset.UtcNow;
        await (await staff.PostAsJsonAsync("/api/monitoring/systems/maint-app/maintenance", new { startsAt = now.AddHours(-1), endsAt = now.AddHours(1), reason = "patching" })).Json(201);

        var receipt = (await staff.SubmitAsync(Api.Alert("app.maint.example", "critical", "m", now.AddMinutes(-20))))[0]!;
        await staff.SubmitAsync(Api.Alert("app.maint.example", "ok", "m", now.AddMinutes(-10)));

        Assert.Null(receipt["ticketId"]);
        Assert.True((bool)(await staff.GetJson("/api/monitoring/systems/maint-app"))["inMaintenance"]!);
        var uptime = (await staff.GetJson("/api/monitoring/systems/maint-app/uptime"))["last7Days"]!;
        Assert.Equal(0, (double)uptime["downSeconds"]!, 0.5);
        Assert.True((double)uptime["maintenanceSeconds"]! > 0);
        var bad = await (await staff.PostAsJsonAsync("/api/monitoring/systems/maint-app/maintenance", new { startsAt = now, endsAt = now.AddHours(-1) })).Json(400);
        Assert.Contains("endsAt after startsAt", (string)bad["detail"]!);
    }

    [Fact]
    public async Task Flapping_SuppressesNewIncidents()
    {
        await staff.NewSystemAsync("flap-mon", "flap-vpn", "vpn.flap.example");
        await (await staff.PutAsJsonAsync("/api/monitoring/accounts/flap-mon/rules", new { flapThreshold = 3, flapWindow = "00:30:00" })).Json();

        var states = new[] { "critical", "ok", "critical", "ok", "critical" };
        var receipts = new List<JsonNode>();
        for (var i = 0; i < states.Length; i++)
        {
            receipts.Add((await staff.SubmitAsync(Api.Alert("vpn.flap.example", states[i], "f" + (i / 2), T0.AddMinutes(i))))[0]!);
        }

        Assert.Single(receipts.Where(r => r["ticketId"] is not null).Select(r => (long)r["ticketId"]!).Distinct());
        var system = await staff.GetJson("/api/monitoring/systems/flap-vpn");
        Assert.True((bool)system["checks"]![0]!["flapping"]!);
        Assert.Null(system["openIncident"]);
        Assert.Equal(1, await staff.MonitoringTicketsAsync("flap-mon"));
    }

    [Fact]
    public async Task InvalidAlert_400WithReasonAndNothingStored()
    {
        await staff.NewSystemAsync("bad-mon", "bad-sys", "bad.example");
        var response = await staff.PostAsJsonAsync("/api/monitoring/alerts", new object[]
        {
            Api.Alert("bad.example", "critical", "ok-one", T0),
            new { source = "api", system = "bad.example", state = "critical", dedupKey = "", occurredAt = T0, summary = "x", link = "ftp://x" },
        });

        var problem = await response.Json(400);
        Assert.Contains("Alert 2: The alert needs a dedup key.", (string)problem["detail"]!);
        Assert.Contains("not an absolute http(s) URL", (string)problem["detail"]!);
        Assert.Empty((await staff.GetJson("/api/monitoring/systems/bad-sys/alerts")).AsArray());
        var unreadable = await (await staff.PostAsync("/api/monitoring/alerts", new StringContent("[{\"state\":\"burning\"}]", System.Text.Encoding.UTF8, "application/json"))).Json(400);
        Assert.NotNull(unreadable["detail"]);
    }

    [Fact]
    public async Task UnmappedHost_StoredThenAdoptedByNewSystem()
    {
        var receipt = (await staff.SubmitAsync(Api.Alert("ghost.unknown.example", "critical", "g", T0)))[0]!;
        Assert.Equal("unmapped", (string)receipt["disposition"]!);
        Assert.Equal("duplicate", (string)(await staff.SubmitAsync(Api.Alert("ghost.unknown.example", "critical", "g", T0)))[0]!["disposition"]!);
        Assert.Contains((await staff.GetJson("/api/monitoring/alerts/unmapped")).AsArray(), a => (string)a!["hostName"]! == "ghost.unknown.example");

        await staff.NewSystemAsync("ghost-mon", "ghost", "ghost.unknown.example");

        Assert.Single((await staff.GetJson("/api/monitoring/systems/ghost/alerts")).AsArray());
        Assert.DoesNotContain((await staff.GetJson("/api/monitoring/alerts/unmapped")).AsArray(), a => (string)a!["hostName"]! == "ghost.unknown.example");
    }

    [Fact]
    public async Task HostName_ClaimedByAnotherSystem_409()
    {
        await staff.NewSystemAsync("claim-mon", "claim-a", "shared.claim.example");
        var problem = await (await staff.PutAsJsonAsync("/api/monitoring/systems/claim-b", new { accountId = "claim-mon", hostNames = new[] { "SHARED.claim.example" } })).Json(409);
        Assert.Contains("already belongs to system 'claim-a'", (string)problem["detail"]!);
        var missing = await (await staff.PutAsJsonAsync("/api/monitoring/systems/claim-c", new { accountId = "nobody-here" })).Json(422);
        Assert.Contains("does not exist", (string)missing["detail"]!);
    }

    [Fact]
    public async Task TicketTakenByStaff_IncidentAcknowledgedAndSourceTold()
    {
        await staff.NewSystemAsync("ack-mon", "ack-srv", "srv.ack.example");
        var ticketId = (long)(await staff.SubmitAsync(Api.Alert("srv.ack.example", "critical", "a", T0)))[0]!["ticketId"]!;
        await staff.TicketAsync(ticketId, _ => true);

        await (await staff.PostAsJsonAsync($"/api/tickets/{ticketId}/status", new { status = "open" })).Json();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await staff.GetJson("/api/monitoring/systems/ack-srv"))["openIncident"]!["acknowledgedAt"] is null
            || !(await staff.HistoryAsync(ticketId)).Any(h => ((string?)h!["event"]!["body"] ?? "").Contains("no plugin acknowledges 'api' alerts", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the acknowledgement did not reach the incident and the ticket");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task ClientUser_SeesOwnSystemsOnly()
    {
        await staff.NewSystemAsync("own-mon", "own-sys", "own.example");
        await staff.NewSystemAsync("other-mon", "other-sys", "other.example");
        var client = fixture.Factory.CreateClient(await fixture.Factory.Users.ClientUserTokenAsync("own-mon", "olive", "Olive Client"));

        var systems = (await client.GetJson("/api/monitoring/systems?accountId=other-mon")).AsArray();
        Assert.Equal(["own-sys"], systems.Select(s => (string)s!["id"]!));
        Assert.Equal(404, (int)(await client.GetAsync("/api/monitoring/systems/other-sys")).StatusCode);
        Assert.Equal(200, (int)(await client.GetAsync("/api/monitoring/systems/own-sys/uptime")).StatusCode);
        Assert.Equal(403, (int)(await client.PostAsJsonAsync("/api/monitoring/alerts", new[] { Api.Alert("own.example", "critical", "c", T0) })).StatusCode);
    }

    [Fact]
    public async Task MetricDrift_RaisesAWarning_OnceAfterConsecutiveOutliers_AndRecovers()
    {
        await staff.NewSystemAsync("acme-drift", "drift-web", "web.drift.example");
        object Sample(int minute, double latency) => new
        {
            source = "api", system = "web.drift.example", check = "http", state = "ok", category = "availability",
            dedupKey = "http", occurredAt = T0.AddMinutes(minute), summary = $"HTTP OK in {latency} ms", metrics = new Dictionary<string, double> { ["latency_ms"] = latency },
        };
        JsonNode? Drift(JsonNode system) => system["checks"]!.AsArray().FirstOrDefault(c => (string?)c!["name"] == "http latency_ms drift");

        // Bad settings are refused with the reason.
        var bad = await staff.PutAsJsonAsync("/api/monitoring/accounts/acme-drift/rules", new { anomaly = new { samples = 2 } });
        Assert.Contains("anomaly: samples is 2", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(bad.IsSuccessStatusCode);

        // Twenty samples between 98 and 102 ms make the baseline; one spike or two in a row are not yet a drift.
        await staff.SubmitAsync(Enumerable.Range(0, 20).Select(i => Sample(i, 100 + ((i % 5) - 2))).ToArray());
        await staff.SubmitAsync(Sample(20, 400), Sample(21, 101), Sample(22, 300), Sample(23, 310));
        Assert.Null(Drift(await staff.GetJson("/api/monitoring/systems/drift-web")));

        // The third outlier in a row raises the warning; a retried delivery of it changes nothing.
        await staff.SubmitAsync(Sample(24, 305));
        Assert.Equal("duplicate", (string)(await staff.SubmitAsync(Sample(24, 305)))[0]!["disposition"]!);
        var drifting = await staff.GetJson("/api/monitoring/systems/drift-web");
        var warning = Drift(drifting)!;
        Assert.Equal(("warning", "anomaly", 1), ((string)warning["state"]!, (string)warning["source"]!, (int)warning["alerts"]!));
        Assert.Contains("drifted up: 305 against a baseline of 100", (string)warning["output"]!, StringComparison.Ordinal);
        Assert.Null(drifting["openIncident"]); // warnings open no ticket under the default rules

        // While drifting the baseline is frozen; a value back within two deviations recovers it.
        await staff.SubmitAsync(Sample(25, 320), Sample(26, 101));
        var back = Drift(await staff.GetJson("/api/monitoring/systems/drift-web"))!;
        Assert.Equal("ok", (string)back["state"]!);
        Assert.Contains("back to its baseline", (string)back["output"]!, StringComparison.Ordinal);
    }
}
