using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Npgsql;
using NpgsqlTypes;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// A product database with many accounts and tickets, seeded in bulk for the workloads that need one (cold start, idle
/// memory, queue pages). The schema comes from the real host (it migrates the database on its first start), and one
/// account and one ticket are created through the API so that their stored grain states are real; the rest are written
/// with COPY, each row carrying a copy of those states (the list and queue pages read the relational columns; the
/// workloads open only the real account and ticket). Seeded once per run and size, and shared by the workloads.
/// </summary>
internal sealed class SeededDatabase
{
    private static readonly ConcurrentDictionary<(string Admin, int Accounts, int Tickets), Lazy<Task<SeededDatabase>>> Cache = new();

    private SeededDatabase(BenchDatabase database, int accounts, int tickets, TimeSpan seedTime)
    {
        Database = database;
        Accounts = accounts;
        Tickets = tickets;
        SeedTime = seedTime;
    }

    public const string RealAccount = "acct-00000";

    public static readonly string[] Groups = ["service-desk", "network", "servers", "security", "onboarding"];

    public BenchDatabase Database { get; }

    public int Accounts { get; }

    public int Tickets { get; }

    public TimeSpan SeedTime { get; }

    /// <summary>Agents "agent-00" to "agent-49".</summary>
    public static string Agent(int i) => "agent-" + (i % 50).ToString("00", System.Globalization.CultureInfo.InvariantCulture);

    public static string Account(int i) => "acct-" + i.ToString("00000", System.Globalization.CultureInfo.InvariantCulture);

    public static Task<SeededDatabase> GetAsync(BenchContext context, int accounts, int tickets, CancellationToken cancellationToken) =>
        Cache.GetOrAdd((context.PostgresAdmin, accounts, tickets), key => new Lazy<Task<SeededDatabase>>(() => SeedAsync(context, accounts, tickets, cancellationToken))).Value;

    private static async Task<SeededDatabase> SeedAsync(BenchContext context, int accounts, int tickets, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, $"bench_seeded_{tickets}", cancellationToken);
        byte[] accountState, ticketState;
        using (var data = new TempDirectory("sp-bench-seed-"))
        {
            await using var host = HostProcess.Start(HostProcess.Environment(data.Path, database.ConnectionString));
            await host.WaitReadyAsync(TimeSpan.FromSeconds(120));
            using var http = await host.CreateStaffClientAsync("admin", "bench-seed");
            (await http.PutAsJsonAsync($"/api/accounts/{RealAccount}", new { name = "Bench Account 0", timeZone = "Europe/London" }, cancellationToken)).EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync("/api/tickets", new
            {
                accountId = RealAccount,
                requesterId = "bench-user",
                subject = "Printer offline on the second floor",
                description = "Seeded by the benchmark.",
                priority = "normal",
            }, cancellationToken)).EnsureSuccessStatusCode();
            await host.StopAsync();
        }

        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            accountState = await Scalar<byte[]>(connection, "SELECT state FROM sp_accounts WHERE id = 'acct-00000'", cancellationToken);
            ticketState = await Scalar<byte[]>(connection, "SELECT state FROM sp_tickets ORDER BY id LIMIT 1", cancellationToken);
            var firstId = await Scalar<long>(connection, "SELECT max(id) FROM sp_tickets", cancellationToken) + 1;
            await CopyAccountsAsync(connection, accounts, accountState, cancellationToken);
            await CopyTicketsAsync(connection, firstId, tickets - 1, accounts, ticketState, cancellationToken);
            await using (var sequence = new NpgsqlCommand("SELECT setval('sp_ticket_ids_id_seq', (SELECT max(id) FROM sp_tickets))", connection))
            {
                await sequence.ExecuteNonQueryAsync(cancellationToken);
            }

            // VACUUM cannot share a batch with other statements.
            await using var analyze = new NpgsqlCommand("VACUUM ANALYZE", connection) { CommandTimeout = 3600 };
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        context.Log.WriteLine($"  seeded {accounts:N0} accounts and {tickets:N0} tickets in {clock.Elapsed.TotalSeconds:0} s");
        return new SeededDatabase(database, accounts, tickets, clock.Elapsed);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken) ?? throw new InvalidOperationException($"No result for: {sql}"));
    }

    private static async Task CopyAccountsAsync(NpgsqlConnection connection, int accounts, byte[] state, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var copy = await connection.BeginBinaryImportAsync(
            "COPY sp_accounts (id, name, time_zone, created_at_ms, updated_at_ms, version, state) FROM STDIN (FORMAT BINARY)", cancellationToken);
        for (var i = 1; i < accounts; i++)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(Account(i), NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync("Bench Account " + i, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync("Europe/London", NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(now, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(now, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(1L, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(state, NpgsqlDbType.Bytea, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// A year of tickets, most of them closed, a tail still open (new, open, waiting), skewed over accounts (a few large
    /// clients), agents, groups, channels and priorities; open tickets carry an SLA due time, some already breached.
    /// </summary>
    private static async Task CopyTicketsAsync(NpgsqlConnection connection, long firstId, int count, int accounts, byte[] state, CancellationToken cancellationToken)
    {
        string[] channels = ["email", "portal", "phone", "api", "monitoring"];
        string[] subjects = ["Printer offline", "Password reset", "VPN disconnects", "Outlook calendar not syncing", "Disk full on server",
            "Certificate expired", "New starter laptop", "Teams microphone", "Backup failed", "Wi-Fi guest network down"];
        var random = new Random(12);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        const long Year = 365L * 24 * 3600 * 1000;
        await using var copy = await connection.BeginBinaryImportAsync(
            """
            COPY sp_tickets (id, account_id, requester_id, channel, type, priority, status, subject, group_name, agent_id, tags, escalation_level,
                             merged_into, created_at_ms, updated_at_ms, first_response_at_ms, resolved_at_ms, closed_at_ms, next_due_at_ms, breached, version, state)
            FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        for (var i = 0; i < count; i++)
        {
            // Older tickets first: the newest tenth holds the open ones.
            var created = now - Year + (long)((double)i / count * Year);
            var age = (double)i / count;
            var status = age < 0.9 ? (random.Next(10) == 0 ? "resolved" : "closed")
                : random.Next(6) switch { 0 => "new", 1 or 2 => "open", 3 => "pending-client", 4 => "on-hold", _ => "resolved" };
            var open = status is "new" or "open" or "pending-client" or "on-hold";
            var account = (int)(accounts * Math.Pow(random.NextDouble(), 2));
            var priority = random.Next(20) switch { 0 => 0, < 5 => 1, < 17 => 2, _ => 3 };
            var updated = Math.Min(now, created + random.Next(1, 72) * 3_600_000L);
            var due = open ? now + random.Next(-4 * 3600, 48 * 3600) * 1000L : (long?)null;
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(firstId + i, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(Account(account), NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync("user-" + random.Next(20), NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(channels[random.Next(channels.Length)], NpgsqlDbType.Text, cancellationToken);
            await copy.WriteNullAsync(cancellationToken);
            await copy.WriteAsync(priority, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(status, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(subjects[random.Next(subjects.Length)] + " #" + (firstId + i), NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(Groups[random.Next(Groups.Length)], NpgsqlDbType.Text, cancellationToken);
            if (status == "new")
            {
                await copy.WriteNullAsync(cancellationToken);
            }
            else
            {
                await copy.WriteAsync(Agent(random.Next(50)), NpgsqlDbType.Text, cancellationToken);
            }

            await copy.WriteAsync(random.Next(8) == 0 ? "|vip|" : "", NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteNullAsync(cancellationToken);
            await copy.WriteAsync(created, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(updated, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(created + 600_000L, NpgsqlDbType.Bigint, cancellationToken);
            await WriteNullable(open ? null : updated);
            await WriteNullable(status == "closed" ? updated : null);
            await WriteNullable(due);
            await copy.WriteAsync(due < now ? 1 : 0, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(1L, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(state, NpgsqlDbType.Bytea, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);

        async Task WriteNullable(long? value)
        {
            if (value is { } v)
            {
                await copy.WriteAsync(v, NpgsqlDbType.Bigint, cancellationToken);
            }
            else
            {
                await copy.WriteNullAsync(cancellationToken);
            }
        }
    }
}
