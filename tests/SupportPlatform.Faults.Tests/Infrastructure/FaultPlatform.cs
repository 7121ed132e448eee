using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Faults.Tests.Infrastructure;

/// <summary>
/// What the fault scenarios share: the host's settings with the monitoring, phone and mail plugins installed from their
/// built folders, the client account they load ("fast": a one-minute first response around the clock, a 24/7 calendar,
/// a known caller), and the senders (Alertmanager, Twilio) as the real ones send.
/// </summary>
internal static class FaultPlatform
{
    public const string AlertmanagerToken = "faults-alertmanager-token-0123456789";
    public const string TwilioAuthToken = "faults-twilio-auth-token-0123456789";
    public const string PublicUrl = "https://support.msp.example/";
    public const string Caller = "+441632960001";
    public const string AgentNumber = "+447700900001";
    public const string Account = "fast";
    public const int Systems = 6;

    /// <summary>Copies the built plugin folders (see the project file) into <paramref name="dataPath"/>/plugins.</summary>
    public static void InstallPlugins(string dataPath, params string[] ids)
    {
        foreach (var id in ids)
        {
            var source = Path.Combine(AppContext.BaseDirectory, "plugin-folders", id);
            if (!File.Exists(Path.Combine(source, "plugin.json")))
            {
                throw new InvalidOperationException($"The build did not produce the plugin folder {source}.");
            }

            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(dataPath, "plugins", id, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target, overwrite: true);
            }
        }
    }

    /// <summary>The environment of a host process on <paramref name="postgres"/> with the plugins configured.</summary>
    public static Dictionary<string, string> Environment(string dataPath, string postgres, string clusterId, DovecotServer? dovecot = null)
    {
        var env = HostProcess.Environment(dataPath, postgres);
        env["SupportPlatform__Cluster__ClusterId"] = clusterId;
        env["SupportPlatform__Email__From"] = "Acme Support <support@msp.example>";
        env["SupportPlatform__PublicUrl"] = PublicUrl;
        env["Plugins__alertmanager__bearerToken"] = AlertmanagerToken;
        env["Plugins__twilio__authToken"] = TwilioAuthToken;
        if (dovecot is not null)
        {
            env["Plugins__email-imap__mailboxes__0__id"] = "support";
            env["Plugins__email-imap__mailboxes__0__host"] = dovecot.Host;
            env["Plugins__email-imap__mailboxes__0__port"] = dovecot.ImapPort.ToString(CultureInfo.InvariantCulture);
            env["Plugins__email-imap__mailboxes__0__security"] = "none";
            env["Plugins__email-imap__mailboxes__0__user"] = "support@test.local";
            env["Plugins__email-imap__mailboxes__0__password"] = DovecotServer.DefaultPassword;
        }
        else
        {
            env["Plugins__email-imap__Enabled"] = "false";
        }

        return env;
    }

    /// <summary>
    /// The account the load uses, an on-duty agent for calls and the monitored systems. The contract owes a first
    /// response within one minute at every priority around the clock, so deadlines fall due while a test waits.
    /// </summary>
    public static async Task DefineAsync(HttpClient senior)
    {
        await Ok(await senior.PutAsJsonAsync($"/api/accounts/{Account}", new { name = "Fast Ltd", timeZone = "Europe/London", emailDomains = new[] { "client.example" } }));
        var account = JsonNode.Parse(await senior.GetStringAsync($"/api/accounts/{Account}"))!;
        var contract = account["contract"]!;
        contract["slaPolicy"] = new JsonObject
        {
            ["name"] = "One minute",
            ["targets"] = new JsonArray([.. new[] { "critical", "high", "normal", "low" }.Select(p => (JsonNode)new JsonObject
            {
                ["priority"] = p, ["firstResponseMinutes"] = 1, ["nextResponseMinutes"] = 1, ["resolutionMinutes"] = 5, ["runsAroundTheClock"] = true,
            })]),
        };
        contract["calendar"] = new JsonObject
        {
            ["timeZoneId"] = "Europe/London",
            ["openingHours"] = new JsonArray([.. new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" }
                .Select(d => (JsonNode)new JsonObject { ["day"] = d, ["start"] = "00:00:00", ["end"] = "00:00:00" })]),
            ["holidays"] = new JsonArray(),
        };
        contract["phone"]!["callers"] = new JsonArray(new JsonObject { ["number"] = Caller, ["contactId"] = "fast-contact" });
        await Ok(await senior.PutAsJsonAsync($"/api/accounts/{Account}", new { name = "Fast Ltd", timeZone = "Europe/London", emailDomains = new[] { "client.example" }, contract }));
        for (var s = 0; s < Systems; s++)
        {
            await Ok(await senior.PutAsJsonAsync($"/api/monitoring/systems/sys-{s}", new { accountId = Account, name = $"Server {s}", hostNames = new[] { $"srv-{s}" } }));
        }
    }

    public static async Task SetAgentOnDutyAsync(HttpClient senior, string userId) =>
        await Ok(await senior.PutAsJsonAsync($"/api/phone/agents/{userId}", new { number = AgentNumber, onDuty = true }));

    public static HttpClient Client(HostProcess host, string? bearer = null, TimeSpan? timeout = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = host.BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(20),
        };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    public static async Task<JsonNode> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
        }

        return response.Content.Headers.ContentType?.MediaType is { } type && type.Contains("json", StringComparison.Ordinal) && body.Length > 0
            ? JsonNode.Parse(body)!
            : JsonValue.Create(body);
    }

    /// <summary>One Alertmanager notification (webhook version 4) carrying <paramref name="alerts"/>.</summary>
    public static string AlertmanagerBody(IEnumerable<JsonObject> alerts) => new JsonObject
    {
        ["version"] = "4",
        ["receiver"] = "platform",
        ["status"] = "firing",
        ["alerts"] = new JsonArray([.. alerts.Select(a => (JsonNode)a.DeepClone())]),
        ["groupLabels"] = new JsonObject(),
        ["commonLabels"] = new JsonObject(),
        ["commonAnnotations"] = new JsonObject(),
        ["externalURL"] = "http://alertmanager.example:9093",
        ["groupKey"] = "{}:{}",
        ["truncatedAlerts"] = 0,
    }.ToJsonString();

    /// <summary>A firing alert of check <paramref name="check"/> on system <paramref name="system"/> that started at <paramref name="startsAt"/>.</summary>
    public static JsonObject Alert(int system, string check, DateTimeOffset startsAt, string severity = "warning") => new()
    {
        ["status"] = "firing",
        ["labels"] = new JsonObject { ["alertname"] = check, ["instance"] = $"srv-{system}:9100", ["severity"] = severity },
        ["annotations"] = new JsonObject { ["summary"] = $"{check} on srv-{system}" },
        ["startsAt"] = startsAt.ToString("O", CultureInfo.InvariantCulture),
        ["endsAt"] = "0001-01-01T00:00:00Z",
        ["generatorURL"] = "http://prometheus.example/graph",
        ["fingerprint"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{system}/{check}")))[..16],
    };

    public static async Task<HttpResponseMessage> PostAlertsAsync(HttpClient anonymous, string body, string token = AlertmanagerToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/alertmanager/") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await anonymous.SendAsync(request);
    }

    /// <summary>Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL then each form key and value, keys sorted ordinally.</summary>
    public static string TwilioSignature(string url, IEnumerable<KeyValuePair<string, string>> form, string token = TwilioAuthToken)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
    }

    public static async Task<HttpResponseMessage> PostTwilioAsync(HttpClient anonymous, string hook, Dictionary<string, string> form, string token = TwilioAuthToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/twilio/" + hook) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature(PublicUrl + "hooks/twilio/" + hook, form, token));
        return await anonymous.SendAsync(request);
    }

    /// <summary>The callbacks of one answered call in the order Twilio sends them: ring, the agent's leg answered, the dial ended, the call ended.</summary>
    public static IReadOnlyList<(string Hook, Dictionary<string, string> Form)> AnsweredCall(string sid, int talkSeconds)
    {
        Dictionary<string, string> Form(string callSid, params (string Key, string Value)[] more)
        {
            var form = new Dictionary<string, string>
            {
                ["CallSid"] = callSid, ["AccountSid"] = "AC0000", ["From"] = Caller, ["To"] = "+442079460100", ["Direction"] = "inbound", ["CallStatus"] = "in-progress",
            };
            foreach (var (key, value) in more)
            {
                form[key] = value;
            }

            return form;
        }

        var seconds = talkSeconds.ToString(CultureInfo.InvariantCulture);
        return
        [
            ("voice", Form(sid)),
            ("number-status", Form(sid + "-leg", ("ParentCallSid", sid), ("To", AgentNumber))),
            ("dial-action?attempt=0", Form(sid, ("DialCallStatus", "completed"), ("DialCallSid", sid + "-leg"), ("DialCallDuration", seconds))),
            ("status", Form(sid, ("CallStatus", "completed"), ("CallDuration", (talkSeconds + 20).ToString(CultureInfo.InvariantCulture)))),
        ];
    }

    /// <summary>Minutes a call of <paramref name="talkSeconds"/> counts under the reference phone terms: at least 6, in steps of 6.</summary>
    public static int CountedMinutes(int talkSeconds) => Math.Max(6, (int)Math.Ceiling(talkSeconds / 60.0 / 6) * 6);

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static async Task<List<(string Key, long Count)>> GroupCountAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, long)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return rows;
    }
}

internal static class Eventually
{
    /// <summary>Waits for a condition that background work makes true; fails naming <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, double seconds = 30, Func<Task<string>>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or NpgsqlException && DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {seconds} s waiting until {what}.{(diagnostics is null ? string.Empty : "\n" + await diagnostics())}");
            }

            await Task.Delay(200);
        }
    }
}
