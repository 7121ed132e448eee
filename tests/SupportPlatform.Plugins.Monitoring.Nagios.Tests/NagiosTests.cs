using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Monitoring.Nagios.Tests;

/// <summary>
/// Real Nagios Core (Debian nagios4-core, installed by scripts/test) with its own configuration in a temporary folder:
/// a passive host and service whose contact's notification command is the plugin's sp-nagios-notify, posting to a
/// real host process with the plugin installed; results are fed through Nagios' external command file.
/// </summary>
public sealed class NagiosFixture : IAsyncLifetime
{
    public const string Token = "nagios-token-0123456789abcdef";

    private readonly TempDirectory data = new("sp-nagios-host-");
    private readonly TempDirectory nagios = new("sp-nagios-");
    private Process? process;

    public HostProcess Host { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public string CommandFile => Path.Combine(nagios.Path, "nagios.cmd");

    public string StatusFile => Path.Combine(nagios.Path, "status.dat");

    public string Log => File.Exists(Path.Combine(nagios.Path, "nagios.log")) ? File.ReadAllText(Path.Combine(nagios.Path, "nagios.log")) : "";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists("/usr/sbin/nagios4"), "/usr/sbin/nagios4 is missing: install Debian's nagios4-core (scripts/test does).");
        var source = Path.Combine(AppContext.BaseDirectory, "plugin", "nagios");
        var pluginFolder = Path.Combine(data.Path, "plugins", "nagios");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(pluginFolder, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(pluginFolder, "sp-nagios-notify"), UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var port = PlatformFactory.FreePort();
        var environment = HostProcess.Environment(data.Path);
        environment["Plugins__nagios__token"] = Token;
        environment["Plugins__nagios__commandFile"] = CommandFile;
        environment["Plugins__nagios__statusFile"] = StatusFile;
        Host = HostProcess.Start(environment, port);
        await Host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Staff = Host.Users.WithToken(await Host.Users.StaffTokenAsync("senior", "sam", "Sam Senior"));
        (await Staff.PutAsJsonAsync("/api/accounts/nag-acme", new { name = "Nagios Acme", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        (await Staff.PutAsJsonAsync("/api/monitoring/systems/nag-web", new { accountId = "nag-acme", hostNames = new[] { "nagweb01" } })).EnsureSuccessStatusCode();

        var dir = nagios.Path;
        Directory.CreateDirectory(Path.Combine(dir, "checkresults"));
        await File.WriteAllTextAsync(Path.Combine(dir, "token"), Token + "\n");
        var notify = $"{Path.Combine(pluginFolder, "sp-nagios-notify")} http://127.0.0.1:{port}/hooks/nagios/ {Path.Combine(dir, "token")}";
        await File.WriteAllTextAsync(Path.Combine(dir, "objects.cfg"), $$"""
            define timeperiod {
              timeperiod_name 24x7
              alias 24x7
              sunday 00:00-24:00
              monday 00:00-24:00
              tuesday 00:00-24:00
              wednesday 00:00-24:00
              thursday 00:00-24:00
              friday 00:00-24:00
              saturday 00:00-24:00
            }
            define command {
              command_name check_dummy
              command_line /usr/lib/nagios/plugins/check_dummy $ARG1$
            }
            define command {
              command_name notify-service-sp
              command_line {{notify}} type='$NOTIFICATIONTYPE$' host='$HOSTNAME$' service='$SERVICEDESC$' state='$SERVICESTATE$' output='$SERVICEOUTPUT$' time='$TIMET$' problemId='$SERVICEPROBLEMID$' lastProblemId='$LASTSERVICEPROBLEMID$'
            }
            define command {
              command_name notify-host-sp
              command_line {{notify}} type='$NOTIFICATIONTYPE$' host='$HOSTNAME$' state='$HOSTSTATE$' output='$HOSTOUTPUT$' time='$TIMET$' problemId='$HOSTPROBLEMID$' lastProblemId='$LASTHOSTPROBLEMID$'
            }
            define contact {
              contact_name sp
              alias SupportPlatform
              service_notification_period 24x7
              host_notification_period 24x7
              service_notification_options w,u,c,r
              host_notification_options d,u,r
              service_notification_commands notify-service-sp
              host_notification_commands notify-host-sp
            }
            define host {
              host_name nagweb01
              alias Web server
              address 127.0.0.1
              check_command check_dummy!0
              max_check_attempts 1
              check_period 24x7
              active_checks_enabled 0
              passive_checks_enabled 1
              contacts sp
              notification_period 24x7
              notification_interval 0
            }
            define service {
              host_name nagweb01
              service_description HTTP
              check_command check_dummy!0
              max_check_attempts 1
              check_interval 5
              retry_interval 1
              check_period 24x7
              active_checks_enabled 0
              passive_checks_enabled 1
              contacts sp
              notification_period 24x7
              notification_interval 0
              notification_options w,u,c,r
            }
            define host {
              host_name nagdb01
              alias Database server (notifications off: known only from status.dat)
              address 127.0.0.1
              check_command check_dummy!0
              max_check_attempts 1
              check_period 24x7
              active_checks_enabled 0
              passive_checks_enabled 1
              contacts sp
              notification_period 24x7
              notifications_enabled 0
            }
            define service {
              host_name nagdb01
              service_description DB
              check_command check_dummy!0
              max_check_attempts 1
              check_interval 5
              retry_interval 1
              check_period 24x7
              active_checks_enabled 0
              passive_checks_enabled 1
              contacts sp
              notification_period 24x7
              notifications_enabled 0
            }
            """);
        var config = Path.Combine(dir, "nagios.cfg");
        await File.WriteAllTextAsync(config, $"""
            log_file={dir}/nagios.log
            cfg_file={dir}/objects.cfg
            object_cache_file={dir}/objects.cache
            precached_object_file={dir}/objects.precache
            status_file={dir}/status.dat
            status_update_interval=1
            nagios_user=root
            nagios_group=root
            check_external_commands=1
            command_file={CommandFile}
            lock_file={dir}/nagios.lock
            temp_file={dir}/nagios.tmp
            temp_path={dir}
            check_result_path={dir}/checkresults
            query_socket={dir}/nagios.qh
            execute_service_checks=0
            execute_host_checks=0
            accept_passive_service_checks=1
            accept_passive_host_checks=1
            enable_notifications=1
            retain_state_information=0
            use_syslog=0
            log_notifications=1
            interval_length=1
            enable_flap_detection=0
            """);
        var verify = Process.Start(new ProcessStartInfo("/usr/sbin/nagios4", ["-v", config]) { RedirectStandardOutput = true })!;
        var verified = await verify.StandardOutput.ReadToEndAsync();
        await verify.WaitForExitAsync();
        Assert.True(verify.ExitCode == 0, "nagios4 -v refused the configuration: " + verified);
        process = Process.Start(new ProcessStartInfo("/usr/sbin/nagios4", [config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(CommandFile) || !File.Exists(StatusFile))
        {
            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "Nagios did not start: " + Log);
            await Task.Delay(200);
        }
    }

    /// <summary>Writes one external command line, as an operator or a passive check would.</summary>
    public async Task CommandAsync(string command)
    {
        await using var fifo = new FileStream(CommandFile, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        await fifo.WriteAsync(Encoding.UTF8.GetBytes($"[{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}] {command}\n"));
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        await Host.DisposeAsync();
        data.Dispose();
        nagios.Dispose();
    }
}

public sealed class NagiosTests(NagiosFixture fixture) : IClassFixture<NagiosFixture>
{
    private readonly HttpClient staff = fixture.Staff;

    [Fact]
    public async Task PassiveCriticalAcknowledgedRecovered_TicketOpenedAckedInNagiosResolved()
    {
        await fixture.CommandAsync("PROCESS_HOST_CHECK_RESULT;nagweb01;0;UP");
        await fixture.CommandAsync("PROCESS_SERVICE_CHECK_RESULT;nagweb01;HTTP;2;HTTP CRITICAL - connection refused");

        var system = await WaitAsync("/api/monitoring/systems/nag-web", s => s["openIncident"]?["ticketId"] is not null);
        var ticketId = (long)system["openIncident"]!["ticketId"]!;
        var ticket = await WaitAsync($"/api/tickets/{ticketId}", _ => true);
        Assert.Contains("HTTP CRITICAL - connection refused", (string)ticket["subject"]!);
        Assert.Equal("HTTP", (string)system["checks"]![0]!["name"]!);

        // Staff take the ticket: the plugin acknowledges the problem through the command file.
        (await staff.PostAsJsonAsync($"/api/tickets/{ticketId}/status", new { status = "open" })).EnsureSuccessStatusCode();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Acknowledged())
        {
            Assert.True(DateTime.UtcNow < deadline, "Nagios did not record the acknowledgement: " + fixture.Log);
            await Task.Delay(250);
        }

        await WaitAsync($"/api/tickets/{ticketId}/history", h => h.AsArray().Any(e => ((string?)e!["event"]!["body"] ?? "").Contains("ACKNOWLEDGE_SVC_PROBLEM", StringComparison.Ordinal)));

        await fixture.CommandAsync("PROCESS_SERVICE_CHECK_RESULT;nagweb01;HTTP;0;HTTP OK - 200 in 0.01 s");
        await WaitAsync($"/api/tickets/{ticketId}", t => (string)t["status"]! == "resolved");
        Assert.Equal(1, (int)(await staff.GetFromJsonAsync<JsonNode>("/api/tickets?accountId=nag-acme&channel=monitoring"))!["total"]!);
    }

    [Fact]
    public async Task Webhook_WrongTokenOrBadState_ClearRefusal()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        var form = new Dictionary<string, string> { ["type"] = "PROBLEM", ["host"] = "nagweb01", ["service"] = "X", ["state"] = "ON FIRE", ["time"] = "1795860000" };
        using var anonymous = await http.PostAsync("/hooks/nagios/", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        http.DefaultRequestHeaders.Authorization = new("Bearer", NagiosFixture.Token);
        using var bad = await http.PostAsync("/hooks/nagios/", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("'ON FIRE' is not a Nagios state", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        form["type"] = "ACKNOWLEDGEMENT";
        using var ack = await http.PostAsync("/hooks/nagios/", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
    }

    /// <summary>
    /// Nagios without retention starts its problem ids again at 1 after a restart, so a new problem can carry the id of
    /// an old one. The same problem id is one alert only together with its state and time: a new problem with a reused
    /// id opens its own incident and ticket, while a resent notification of the same problem stays a duplicate.
    /// </summary>
    [Fact]
    public async Task ProblemIdReusedAfterNagiosRestart_IsANewProblem_ResendIsStillADuplicate()
    {
        (await staff.PutAsJsonAsync("/api/accounts/nag-restart", new { name = "Nagios Restart", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        (await staff.PutAsJsonAsync("/api/monitoring/systems/nag-mail", new { accountId = "nag-restart", hostNames = new[] { "nagmail01" } })).EnsureSuccessStatusCode();
        using var hooks = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        hooks.DefaultRequestHeaders.Authorization = new("Bearer", NagiosFixture.Token);
        var start = DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeSeconds();
        async Task<string> Notify(string type, string state, long at, string problemId, string lastProblemId)
        {
            var form = new Dictionary<string, string>
            {
                ["type"] = type, ["host"] = "nagmail01", ["service"] = "SMTP", ["state"] = state, ["output"] = $"SMTP {state}",
                ["time"] = at.ToString(System.Globalization.CultureInfo.InvariantCulture), ["problemId"] = problemId, ["lastProblemId"] = lastProblemId,
            };
            using var response = await hooks.PostAsync("/hooks/nagios/", new FormUrlEncodedContent(form));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            return text;
        }

        // Problem 7 before the restart, and its recovery (a service recovery's $SERVICEPROBLEMID$ is 0).
        Assert.Equal("accepted", await Notify("PROBLEM", "CRITICAL", start, "7", "3"));
        var first = await WaitAsync("/api/monitoring/systems/nag-mail", s => s["openIncident"]?["ticketId"] is not null);
        var firstTicket = (long)first["openIncident"]!["ticketId"]!;
        Assert.Equal("accepted", await Notify("RECOVERY", "OK", start + 600, "0", "7"));
        await WaitAsync($"/api/tickets/{firstTicket}", t => (string)t["status"]! == "resolved");

        // After the restart Nagios hands out 7 again, for a new problem an hour later: a new incident, a new ticket.
        Assert.Equal("accepted", await Notify("PROBLEM", "CRITICAL", start + 3600, "7", "0"));
        var second = await WaitAsync("/api/monitoring/systems/nag-mail", s => s["openIncident"]?["ticketId"] is { } id && (long)id != firstTicket);
        Assert.Equal("nag-mail#2", (string)second["openIncident"]!["id"]!);

        // The command's retry of that same notification is recognised, whatever the id's history.
        Assert.Equal("duplicate", await Notify("PROBLEM", "CRITICAL", start + 3600, "7", "0"));
        Assert.Equal(2, (await staff.GetFromJsonAsync<JsonNode>("/api/monitoring/incidents?systemId=nag-mail"))!.AsArray().Count);
        Assert.Equal(2, (int)(await staff.GetFromJsonAsync<JsonNode>("/api/tickets?accountId=nag-restart&channel=monitoring"))!["total"]!);
    }

    /// <summary>
    /// A problem Nagios knows but never notified (notifications off, or raised while the platform was down) is read from
    /// status.dat: it opens the incident as its notification would; reading the file again changes nothing, and the
    /// notification, when it comes, joins the same incident (same problem id): one ticket.
    /// </summary>
    [Fact]
    public async Task StatusDat_KnownProblemSeedsTheCheckAndOpensTheIncidentOnce_NotificationJoinsIt()
    {
        (await staff.PutAsJsonAsync("/api/accounts/nag-seed", new { name = "Nagios Seed", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        (await staff.PutAsJsonAsync("/api/monitoring/systems/nag-db", new { accountId = "nag-seed", hostNames = new[] { "nagdb01" } })).EnsureSuccessStatusCode();
        await fixture.CommandAsync("PROCESS_HOST_CHECK_RESULT;nagdb01;0;UP");
        await fixture.CommandAsync("PROCESS_SERVICE_CHECK_RESULT;nagdb01;DB;2;DB CRITICAL - replication stopped\\nlag 900 s\\nslave_io=No");
        var entry = await StatusEntryAsync("nagdb01", "DB", e => e.State == 2 && e.Hard);
        Assert.NotEqual("0", entry.ProblemId);

        using var hooks = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        using (var anonymous = await hooks.PostAsync("/hooks/nagios/status", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        hooks.DefaultRequestHeaders.Authorization = new("Bearer", NagiosFixture.Token);
        using (var first = await hooks.PostAsync("/hooks/nagios/status", null))
        {
            var text = await first.Content.ReadAsStringAsync();
            Assert.True(first.IsSuccessStatusCode, text);
            Assert.Matches(@"[1-9]\d* alerts accepted", text);
        }

        var system = await WaitAsync("/api/monitoring/systems/nag-db", s => s["openIncident"]?["ticketId"] is not null);
        var db = system["checks"]!.AsArray().Single(c => (string)c!["name"]! == "DB")!;
        Assert.Equal("critical", (string)db["state"]!);
        Assert.Contains("lag 900 s", (string)db["output"]!, StringComparison.Ordinal);
        Assert.Equal("ok", (string)system["checks"]!.AsArray().Single(c => (string)c!["name"]! == "")!["state"]!);
        var ticketId = (long)system["openIncident"]!["ticketId"]!;
        Assert.Equal("nag-db#1", (string)system["openIncident"]!["id"]!);

        // Again: everything already known.
        using (var again = await hooks.PostAsync("/hooks/nagios/status", null))
        {
            var text = await again.Content.ReadAsStringAsync();
            Assert.True(again.IsSuccessStatusCode, text);
            Assert.True(text.Contains(" 0 alerts accepted", StringComparison.Ordinal), text);
        }

        // The notification for the same problem (as sp-nagios-notify posts it) joins the incident.
        var form = new Dictionary<string, string>
        {
            ["type"] = "PROBLEM", ["host"] = "nagdb01", ["service"] = "DB", ["state"] = "CRITICAL", ["output"] = "DB CRITICAL - replication stopped",
            ["time"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), ["problemId"] = entry.ProblemId, ["lastProblemId"] = entry.LastProblemId,
        };
        using (var notified = await hooks.PostAsync("/hooks/nagios/", new FormUrlEncodedContent(form)))
        {
            Assert.Equal("accepted", await notified.Content.ReadAsStringAsync());
        }

        var incidents = (await staff.GetFromJsonAsync<JsonNode>("/api/monitoring/incidents?systemId=nag-db"))!.AsArray();
        var incident = Assert.Single(incidents)!;
        Assert.Equal((ticketId, "open"), ((long)incident["ticketId"]!, (string)incident["status"]!));
        Assert.Equal(1, (int)(await staff.GetFromJsonAsync<JsonNode>("/api/tickets?accountId=nag-seed&channel=monitoring"))!["total"]!);
    }

    /// <summary>The entry of <paramref name="host"/>/<paramref name="service"/> in the real status.dat, once it satisfies <paramref name="condition"/>.</summary>
    private async Task<NagiosStatusEntry> StatusEntryAsync(string host, string service, Func<NagiosStatusEntry, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (File.Exists(fixture.StatusFile))
            {
                try
                {
                    using var reader = new StreamReader(new FileStream(fixture.StatusFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
                    if (NagiosStatusFile.Parse(reader).FirstOrDefault(e => e.Host == host && e.Service == service) is { } entry && condition(entry))
                    {
                        return entry;
                    }
                }
                catch (IOException)
                {
                    // Replaced while reading: read the new one.
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"status.dat did not show {host}/{service} as expected: {fixture.Log}");
            await Task.Delay(200);
        }
    }

    private bool Acknowledged()
    {
        if (!File.Exists(fixture.StatusFile))
        {
            return false;
        }

        var text = File.ReadAllText(fixture.StatusFile);
        var block = text.Split("servicestatus {").Skip(1).FirstOrDefault(b => b.Contains("service_description=HTTP", StringComparison.Ordinal));
        return block is not null && block.Contains("problem_has_been_acknowledged=1", StringComparison.Ordinal);
    }

    private async Task<JsonNode> WaitAsync(string url, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (true)
        {
            var response = await staff.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && JsonNode.Parse(body) is { } node && condition(node))
            {
                return node;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} did not reach the expected state: {body}\nNagios log: {fixture.Log}");
            await Task.Delay(250);
        }
    }
}
