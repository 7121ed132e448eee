using System.Data.Common;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Reports.Tests;

/// <summary>
/// One real host per back-end and test class, on a fake clock (started at the real time), with account "acme" (Europe/London,
/// the reference contract: weekdays 09:00-17:00, reference SLA) and its manager mia, account "globex" (for the broken
/// template), and a senior engineer. October 2026 of acme is seeded into the read model with hand-picked instants (see
/// <see cref="SeedOctoberAsync"/>); the expected figures in the tests are computed by hand from them.
/// </summary>
public abstract class ReportFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public DatabaseProvider Provider => provider;

    public PlatformFactory Factory { get; private set; } = null!;

    public string? Postgres { get; private set; }

    public HttpClient Staff { get; private set; } = null!;

    public HttpClient Manager { get; private set; } = null!;

    public HttpClient OtherClient { get; private set; } = null!;

    /// <summary>The data folder, kept across <see cref="RestartAsync"/>.</summary>
    public TempDirectory Data { get; } = new("sp-reports-");

    public string StaffToken { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("reports") : null;
        Factory = Start();
        StaffToken = await Factory.Users.StaffTokenAsync("senior", "sam", "Sam Senior");
        Staff = Factory.CreateClient(StaffToken);
        (await Staff.PutAsJsonAsync("/api/accounts/acme", new { name = "Acme Corp", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        (await Staff.PutAsJsonAsync("/api/accounts/globex", new { name = "Globex", timeZone = "Etc/UTC" })).EnsureSuccessStatusCode();
        Manager = await Factory.CreateClientUserClientAsync("acme", "mia", "Mia Manager", manager: true);
        OtherClient = await Factory.CreateClientUserClientAsync("globex", "gus", "Gus Globex", manager: true);
        await SeedOctoberAsync();
    }

    /// <summary>Settings added to the host's (e.g. an SMTP server).</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Stops the host and starts a new one on the same data folder and database; the staff client is renewed.</summary>
    public async Task RestartAsync()
    {
        // Awaited disposal: the old host has stopped (silo ports and database released) before the new one starts.
        await Factory.DisposeAsync();
        Factory = Start();
        Staff = Factory.CreateClient(StaffToken);
    }

    public virtual async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        Data.Dispose();
    }

    private PlatformFactory Start()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["SupportPlatform:Email:PublicUrl"] = "http://support.tests.example" };
        return new PlatformFactory(dataPath: Data.Path, postgres: Postgres, clock: Clock, extra: settings);
    }

    public async Task<T> QueryScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = await Factory.Services.GetRequiredService<IDatabase>().OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? default!;
    }

    public static async Task<JsonNode> Json(HttpResponseMessage response, int expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"expected {expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    private static long Ms(string utc) => DateTimeOffset.Parse(utc + "Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    /// <summary>
    /// October 2026 for acme (London: BST until Sunday 25 October 01:00 UTC, GMT after). Tickets (priority 0 critical,
    /// 1 high, 2 normal, 3 low), with business minutes on weekdays 09:00-17:00 London (critical: 24/7, real minutes):
    /// <code>
    /// id    channel     prio  created (UTC)      first response     resolved           FR min  res min  breach
    /// 91001 email       2     10-23 15:00 (Fri)  10-26 10:00 (Mon)  10-27 12:00 (Tue)  120     720      -      (DST: Fri 16-17 BST, Mon 09-10 GMT)
    /// 91002 portal      2     10-01 08:30        10-01 09:00        10-02 10:00        30      570      -
    /// 91003 phone       1     10-05 07:00        10-05 08:45        10-05 14:00        45      360      -
    /// 91004 monitoring  0     10-24 22:30 (Sat)  10-25 00:10        10-25 02:30        100     240      resolution due 10-25 02:30 (4 real hours over the 25-hour night)
    /// 91005 email       0     10-10 11:00 (Sat)  10-10 11:20        10-10 13:00        20      120      -
    /// 91006 voicemail   0     10-14 19:00 (Wed)  10-14 19:30        10-14 21:00        30      120      -
    /// 91007 portal      3     10-28 10:00        -                  -                  -       -        first response due 10-29 10:00
    /// 91008 email       1     10-30 16:30 (Fri)  11-02 10:00 (Mon)  -                  90      -        -
    /// </code>
    /// System srv-01: down 10-10 10:00-10:30, down 10-20 01:00-03:00 with maintenance 10-20 00:00-02:00; 5 critical disk
    /// alerts. Phone allowance 600 min, used up on 2026-08-20, 2026-09-15, 2026-10-18; 660 min used each month.
    /// Inbound mail (all done) and the comments on their tickets:
    /// <code>
    /// mail  account  received (UTC)     ticket  disposition     staff public reply after it   counted in October
    /// m1    acme     10-23 15:00        91001   ticket-created  10-26 10:00                   received, answered
    /// m2    acme     10-10 11:00        91005   ticket-created  10-10 11:20                   received, answered
    /// m3    acme     10-30 16:30        91008   ticket-created  11-02 10:00 (after October)   received, answered
    /// m4    acme     10-27 09:00        91001   comment-added   none (an internal note 10:00) received
    /// m5    acme     10-15 12:00        -       quarantined     -                             no
    /// m6    acme     11-01 00:30        91008   comment-added   11-02 10:00                   no (November; week 44)
    /// m7    globex   10-12 10:00        99999   ticket-created  -                             no (another account)
    /// m8    acme     09-29 12:00        90999   ticket-created  09-29 13:00                   no (September, week 40)
    /// m9    acme     09-30 22:30        90999   comment-added   none (a client comment only)  no (23:30 BST: still September, week 40)
    /// </code>
    /// So October's weeks (cut at the month) count received / answered W40 0/0 (m8, m9 are September's days of the week),
    /// W41 1/1 (m2), W42 0/0, W43 1/1 (m1), W44 2/1 (m3, m4); the trend's 2026-09 2/1 and 2026-10 4/3.
    /// </summary>
    private async Task SeedOctoberAsync()
    {
        await using var connection = await Factory.Services.GetRequiredService<IDatabase>().OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var tickets = new (long Id, string Channel, int Priority, string Created, string? First, string? Resolved, bool Breached, string Subject)[]
        {
            (91001, "email", 2, "2026-10-23T15:00:00", "2026-10-26T10:00:00", "2026-10-27T12:00:00", false, "Mailbox full"),
            (91002, "portal", 2, "2026-10-01T08:30:00", "2026-10-01T09:00:00", "2026-10-02T10:00:00", false, "New starter laptop"),
            (91003, "phone", 1, "2026-10-05T07:00:00", "2026-10-05T08:45:00", "2026-10-05T14:00:00", false, "VPN down for sales"),
            (91004, "monitoring", 0, "2026-10-24T22:30:00", "2026-10-25T00:10:00", "2026-10-25T02:30:00", true, "srv-01 disk full"),
            (91005, "email", 0, "2026-10-10T11:00:00", "2026-10-10T11:20:00", "2026-10-10T13:00:00", false, "Website down"),
            (91006, "voicemail", 0, "2026-10-14T19:00:00", "2026-10-14T19:30:00", "2026-10-14T21:00:00", false, "Payroll server unreachable"),
            (91007, "portal", 3, "2026-10-28T10:00:00", null, null, true, "Printer toner"),
            (91008, "email", 1, "2026-10-30T16:30:00", "2026-11-02T10:00:00", null, false, "Shared drive slow"),
        };
        foreach (var t in tickets)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO sp_tickets (id, account_id, requester_id, channel, type, priority, status, subject, group_name, agent_id, tags,
                    escalation_level, merged_into, created_at_ms, updated_at_ms, first_response_at_ms, resolved_at_ms, closed_at_ms, next_due_at_ms,
                    breached, version, state)
                VALUES (@Id, 'acme', 'mia', @Channel, NULL, @Priority, @Status, @Subject, 'L1', 'sam', '[]', 0, NULL, @Created, @Created, @First,
                    @Resolved, NULL, NULL, @Breached, 1, @State)
                """,
                new
                {
                    t.Id,
                    t.Channel,
                    t.Priority,
                    Status = t.Resolved is null ? "open" : "resolved",
                    t.Subject,
                    Created = Ms(t.Created),
                    First = t.First is null ? (long?)null : Ms(t.First),
                    Resolved = t.Resolved is null ? (long?)null : Ms(t.Resolved),
                    Breached = t.Breached ? 1 : 0,
                    State = new byte[] { 0 },
                },
                tx);
        }

        await Event(91004, 5, "2026-10-25T02:30:00", """{"kind":"sla-breach","clock":"resolution","dueAt":"2026-10-25T02:30:00+00:00"}""");
        await Event(91007, 3, "2026-10-29T10:00:00", """{"kind":"sla-breach","clock":"first-response","dueAt":"2026-10-29T10:00:00+00:00"}""");

        await connection.ExecuteAsync(
            """
            INSERT INTO sp_monitor_systems (id, account_id, name, status, rules, state, version, created_at_ms, updated_at_ms)
            VALUES ('sys-srv01', 'acme', 'srv-01', 'active', NULL, '{}', 1, @created, @created)
            """, new { created = Ms("2026-09-01T00:00:00") }, tx);
        var seq = 0;
        foreach (var (at, state) in new[] { ("2026-10-10T10:00:00", "down"), ("2026-10-10T10:30:00", "up"), ("2026-10-20T01:00:00", "down"), ("2026-10-20T03:00:00", "up") })
        {
            await connection.ExecuteAsync(
                "INSERT INTO sp_monitor_changes (system_id, seq, check_name, from_state, to_state, at_ms, summary) VALUES ('sys-srv01', @seq, '*', @from, @state, @at, 'ping')",
                new { seq = ++seq, from = state == "down" ? "up" : "down", state, at = Ms(at) }, tx);
        }

        await connection.ExecuteAsync(
            """
            INSERT INTO sp_monitor_maintenance (system_id, starts_at_ms, ends_at_ms, reason, created_by, created_at_ms)
            VALUES ('sys-srv01', @s, @e, 'Firmware update', 'sam', @s)
            """, new { s = Ms("2026-10-20T00:00:00"), e = Ms("2026-10-20T02:00:00") }, tx);
        for (var i = 0; i < 5; i++)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO sp_monitor_alerts (idem_key, system_id, source, host_name, check_name, state, category, dedup_key, occurred_at_ms, received_at_ms, summary)
                VALUES (@key, 'sys-srv01', 'nagios', 'srv-01', 'disk /', 'critical', 'disk', 'srv-01/disk', @at, @at, 'disk 97% full')
                """, new { key = "seed-" + i, at = Ms($"2026-10-{(i * 5) + 2:D2}T03:00:00") }, tx);
        }

        foreach (var (month, start, end, day) in new[] { ("2026-08", "2026-07-31T23:00:00", "2026-08-31T23:00:00", 20), ("2026-09", "2026-08-31T23:00:00", "2026-09-30T23:00:00", 15), ("2026-10", "2026-09-30T23:00:00", "2026-11-01T00:00:00", 18) })
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO sp_allowance_periods (account_id, period, starts_at_ms, ends_at_ms, time_zone, allowance_minutes, used_minutes, overage_minutes,
                    overage_amount_minor, currency, notified_80_at_ms, notified_100_at_ms)
                VALUES ('acme', @month, @s, @e, 'Europe/London', 600, 660, 60, 8500, 'USD', NULL, NULL)
                """, new { month, s = Ms(start), e = Ms(end) }, tx);
            foreach (var (usageDay, minutes) in new[] { (3, 300), (day, 300), (25, 60) })
            {
                var at = Ms($"{month}-{usageDay:D2}T10:00:00");
                await connection.ExecuteAsync(
                    """
                    INSERT INTO sp_allowance_usage (account_id, usage_id, kind, period, started_at_ms, duration_ms, counted_minutes, overage_minutes, ticket_id, description, recorded_at_ms)
                    VALUES ('acme', @id, 'phone', @month, @at, @duration, @minutes, 0, NULL, 'call', @at)
                    """, new { id = $"seed:{month}:{usageDay}", month, at, duration = minutes * 60_000L, minutes }, tx);
            }
        }

        // Inbound mail (see the table in the summary): received = became a ticket or a comment, answered = a public staff
        // comment on its ticket at or after its arrival.
        foreach (var (id, account, at, ticket, disposition) in new (string, string, string, long?, string)[]
        {
            ("m1", "acme", "2026-10-23T15:00:00", 91001, "ticket-created"),
            ("m2", "acme", "2026-10-10T11:00:00", 91005, "ticket-created"),
            ("m3", "acme", "2026-10-30T16:30:00", 91008, "ticket-created"),
            ("m4", "acme", "2026-10-27T09:00:00", 91001, "comment-added"),
            ("m5", "acme", "2026-10-15T12:00:00", null, "quarantined"),
            ("m6", "acme", "2026-11-01T00:30:00", 91008, "comment-added"),
            ("m7", "globex", "2026-10-12T10:00:00", 99999, "ticket-created"),
            ("m8", "acme", "2026-09-29T12:00:00", 90999, "ticket-created"),
            ("m9", "acme", "2026-09-30T22:30:00", 90999, "comment-added"),
        })
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO sp_inbound_mail (id, import_key, source_id, message_id, from_address, subject, size, raw, received_at_ms, stored_at_ms, state,
                    ticket_id, account_id, disposition, processed_at_ms)
                VALUES (@id, @id, 'imap', @id, 'mia@acme.example', 'Seeded', 5, @raw, @at, @at, 'done', @ticket, @account, @disposition, @at)
                """, new { id, raw = "Hello"u8.ToArray(), at = Ms(at), ticket, account, disposition }, tx);
        }

        await Comment(91001, 10, "2026-10-26T10:00:00", "staff", "public");   // answers m1 (m4 came later)
        await Comment(91001, 11, "2026-10-27T09:00:00", "client", "public");  // m4 itself: the client's reply
        await Comment(91001, 12, "2026-10-27T10:00:00", "staff", "internal"); // an internal note does not answer m4
        await Comment(91005, 10, "2026-10-10T11:20:00", "staff", "public");   // answers m2
        await Comment(91008, 10, "2026-11-02T10:00:00", "staff", "public");   // answers m3 (and m6), after October
        await Comment(90999, 10, "2026-09-29T13:00:00", "staff", "public");   // answers m8
        await Comment(90999, 11, "2026-09-30T22:30:00", "client", "public");  // m9 itself: nothing answers it

        await tx.CommitAsync();

        Task Comment(long ticket, int seq, string at, string actorKind, string visibility) => connection.ExecuteAsync(
            "INSERT INTO sp_ticket_events (ticket_id, seq, at_ms, kind, actor_kind, actor_id, data) VALUES (@ticket, @seq, @at, 'comment', @actorKind, 'seed', @data)",
            new
            {
                ticket, seq, at = Ms(at), actorKind,
                data = $$"""{"kind":"comment","seq":{{seq}},"at":"{{at}}+00:00","actor":{"kind":"{{actorKind}}","id":"seed"},"commentId":"c{{seq}}","visibility":"{{visibility}}","body":"Seeded"}""",
            },
            tx);

        Task Event(long ticket, int seq, string at, string data) => connection.ExecuteAsync(
            "INSERT INTO sp_ticket_events (ticket_id, seq, at_ms, kind, actor_kind, actor_id, data) VALUES (@ticket, @seq, @at, 'sla-breach', 'system', 'sla', @data)",
            new { ticket, seq, at = Ms(at), data }, tx);
    }
}

public sealed class SqliteReports() : ReportFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlReports() : ReportFixture(DatabaseProvider.PostgreSql);
