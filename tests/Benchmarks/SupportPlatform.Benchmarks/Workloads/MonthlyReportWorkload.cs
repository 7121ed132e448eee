using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Billing.Contracts;
using SupportPlatform.Core;
using SupportPlatform.Reports;
using SupportPlatform.Reports.Data;
using SupportPlatform.Reports.Documents;
using SupportPlatform.Reports.Domain;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// "Monthly report": the time to build one account's monthly report (every figure, insight, trend over 12 months, the four
/// charts and the HTML) when the month holds 100,000 tickets and 1,000,000 alerts (quick: 10,000 and 100,000), on
/// PostgreSQL. The read model is seeded with COPY (tickets over the month with first responses, resolutions and 5%
/// breached with their breach events; alerts over 20 monitored systems with down/up changes and a maintenance window;
/// phone usage), then the report is built 5 times after one warm-up through the module's own builder and renderer; the
/// figure is the median. Billing's summary is a constant (its own tables are not part of this measurement). The first
/// build of a closed month measures every ticket's business time and keeps it (<c>sp_report_business_times</c>); its
/// time is reported as <c>cold_ms</c>, the later builds read the kept figures. The baseline, measured in the same run on
/// the same database, is a plain read of the month's tickets (the rows the report starts from, no computation), so the
/// ratio says how much the report costs beyond reading its data, whatever the machine and its load.
/// </summary>
internal sealed class MonthlyReportWorkload(int? tickets = null, int? alerts = null) : IWorkload
{
    private const string Account = "bench-acme";

    public string Name => "Monthly report";

    private const string BaselineName = "monthly report baseline: read the month's tickets (PostgreSQL)";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var ticketCount = tickets ?? context.Pick(10_000, 100_000);
        var alertCount = alerts ?? context.Pick(100_000, 1_000_000);
        var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, "bench_reports", cancellationToken);
        var settings = new DatabaseSettings(DatabaseProvider.PostgreSql, database.ConnectionString);
        await using var services = new ServiceCollection().AddSupportPlatformStorage(settings).BuildServiceProvider();
        await services.GetRequiredService<IDatabaseMigrator>().MigrateAsync(cancellationToken);

        var seed = Stopwatch.StartNew();
        var period = ReportPeriod.Month(2026, 10, "Europe/London");
        await SeedAsync(database.ConnectionString, period, ticketCount, alertCount, cancellationToken);
        context.Log.WriteLine($"  seeded {ticketCount:N0} tickets and {alertCount:N0} alerts in {seed.Elapsed.TotalSeconds:0} s");

        var db = services.GetRequiredService<IDatabase>();
        var store = new ReportStore(db, TimeProvider.System);
        // The account grain is not needed: BuildAsync takes the account as given (no host, no silo here).
        var builder = new ReportBuilder(db, null!, new NoAdditionalWork(), store, TimeProvider.System);
        using var data = new SupportPlatform.Testing.TempDirectory("sp-bench-reports-");
        var options = new ReportsOptions();
        var documents = new ReportDocuments(new ReportTemplates(new ShippedReportTemplates(new ReportTemplateKind(options))), options);
        var account = new AccountView
        {
            Id = Account,
            Name = "Bench Acme",
            TimeZone = "Europe/London",
            Contract = ContractTerms.Reference("Europe/London"),
            CreatedAt = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
            UpdatedAt = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Version = 1,
        };

        // Where the time goes: the builder's phase spans, summed over the measured builds.
        var phases = new System.Collections.Concurrent.ConcurrentDictionary<string, double>(StringComparer.Ordinal);
        var measuring = false;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "SupportPlatform.Reports", // by name: the source may be created after the listener
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (measuring)
                {
                    phases.AddOrUpdate(activity.OperationName, activity.Duration.TotalMilliseconds, (_, sum) => sum + activity.Duration.TotalMilliseconds);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var times = new List<double>();
        var buildTimes = new List<double>();
        AccountReport? report = null;
        var html = "";
        var cold = 0.0;
        for (var i = 0; i < 6; i++)
        {
            measuring = i > 0;
            var started = Stopwatch.GetTimestamp();
            report = await builder.BuildAsync(account, period, cancellationToken);
            var built = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            html = await documents.PageAsync(report, cancellationToken);
            if (i > 0)
            {
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                buildTimes.Add(built);
            }
            else
            {
                cold = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        var reads = new List<double>();
        var rows = 0;
        for (var i = 0; i < 6; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            rows = (await Dapper.SqlMapper.QueryAsync<TicketRow>(connection, new Dapper.CommandDefinition(
                """
                SELECT id, account_id, channel, priority, status, subject, group_name, agent_id, created_at_ms, first_response_at_ms, resolved_at_ms, breached
                FROM sp_tickets WHERE account_id = @a AND ((created_at_ms >= @f AND created_at_ms < @t) OR (resolved_at_ms >= @f AND resolved_at_ms < @t))
                """,
                new { a = Account, f = period.From.ToUnixTimeMilliseconds(), t = period.To.ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken))).Count();
            if (i > 0)
            {
                reads.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        reads.Sort();
        long kept;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            kept = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM sp_report_business_times");
        }

        times.Sort();
        buildTimes.Sort();
        var median = times[times.Count / 2];
        var label = ticketCount >= 1_000 ? $"{ticketCount / 1_000}k tickets, {alertCount / 1_000:N0}k alerts" : $"{ticketCount} tickets";
        measuring = false;
        foreach (var (name, sum) in phases.OrderByDescending(p => p.Value))
        {
            context.Log.WriteLine($"  {name}: {sum / times.Count:0} ms per build");
        }

        var baseline = reads[reads.Count / 2];
        return
        [
            new WorkloadResult(BaselineName, baseline, "ms", null, null, false, new Dictionary<string, string>
            {
                ["rows"] = rows.ToString(CultureInfo.InvariantCulture),
            }),
            new WorkloadResult($"monthly report (PostgreSQL, {label})", median, "ms", null, null, false, new Dictionary<string, string>
            {
                ["vs_baseline"] = (median / baseline).ToString("0.0", CultureInfo.InvariantCulture) + "x",
                ["cold_ms"] = cold.ToString("0", CultureInfo.InvariantCulture),
                ["load_average"] = LoadAverage(),
                ["kept_business_times"] = kept.ToString(CultureInfo.InvariantCulture),
                ["phases_ms"] = string.Join(", ", phases.OrderByDescending(p => p.Value).Select(p => $"{p.Key[7..]} {p.Value / times.Count:0}")),
                ["min_ms"] = times[0].ToString("0", CultureInfo.InvariantCulture),
                ["max_ms"] = times[^1].ToString("0", CultureInfo.InvariantCulture),
                ["figures_ms"] = buildTimes[buildTimes.Count / 2].ToString("0", CultureInfo.InvariantCulture),
                ["opened"] = report!.Opened.ToString(CultureInfo.InvariantCulture),
                ["breaches"] = report.Breaches.Count.ToString(CultureInfo.InvariantCulture),
                ["insights"] = report.Insights.Count.ToString(CultureInfo.InvariantCulture),
                ["html_kb"] = (html.Length / 1024).ToString(CultureInfo.InvariantCulture),
            }, AbsoluteTarget: 2_000),
        ];
    }

    private static async Task SeedAsync(string connectionString, ReportPeriod period, int ticketCount, int alertCount, CancellationToken ct)
    {
        var random = new Random(9);
        var from = period.From.ToUnixTimeMilliseconds();
        var span = period.To.ToUnixTimeMilliseconds() - from;
        string[] channels = ["portal", "email", "phone", "voicemail", "monitoring"];
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var breached = new List<(long Id, long At)>();
        await using (var copy = await connection.BeginBinaryImportAsync(
            """
            COPY sp_tickets (id, account_id, requester_id, channel, type, priority, status, subject, group_name, agent_id, tags, escalation_level,
                created_at_ms, updated_at_ms, first_response_at_ms, resolved_at_ms, breached, version, state) FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            for (var i = 0; i < ticketCount; i++)
            {
                var id = 100_001L + i;
                var created = from + (long)(random.NextDouble() * span);
                var first = created + random.Next(60_000, 8 * 3_600_000);
                long? resolved = random.Next(10) < 8 ? first + random.Next(60_000, 72 * 3_600_000) : null;
                var isBreached = random.Next(20) == 0;
                if (isBreached)
                {
                    breached.Add((id, first));
                }

                await copy.StartRowAsync(ct);
                await copy.WriteAsync(id, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(Account, NpgsqlDbType.Text, ct);
                await copy.WriteAsync("requester", NpgsqlDbType.Text, ct);
                await copy.WriteAsync(channels[random.Next(channels.Length)], NpgsqlDbType.Text, ct);
                await copy.WriteNullAsync(ct);
                await copy.WriteAsync(random.Next(4), NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(resolved is null ? "open" : "resolved", NpgsqlDbType.Text, ct);
                await copy.WriteAsync("Ticket " + id.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, ct);
                await copy.WriteAsync("L" + (1 + random.Next(2)).ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, ct);
                await copy.WriteAsync("agent-" + random.Next(12).ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, ct);
                await copy.WriteAsync("[]", NpgsqlDbType.Text, ct);
                await copy.WriteAsync(0, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(created, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(created, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(first, NpgsqlDbType.Bigint, ct);
                if (resolved is { } r)
                {
                    await copy.WriteAsync(r, NpgsqlDbType.Bigint, ct);
                }
                else
                {
                    await copy.WriteNullAsync(ct);
                }

                await copy.WriteAsync(isBreached ? 1 : 0, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(1L, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(new byte[] { 0 }, NpgsqlDbType.Bytea, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await using (var copy = await connection.BeginBinaryImportAsync("COPY sp_ticket_events (ticket_id, seq, at_ms, kind, actor_kind, actor_id, data) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (id, at) in breached)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(id, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(2L, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(at, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync("sla-breach", NpgsqlDbType.Text, ct);
                await copy.WriteAsync("system", NpgsqlDbType.Text, ct);
                await copy.WriteAsync("sla", NpgsqlDbType.Text, ct);
                await copy.WriteAsync($$"""{"kind":"sla-breach","clock":"first-response","dueAt":"{{DateTimeOffset.FromUnixTimeMilliseconds(at):O}}"}""", NpgsqlDbType.Text, ct);
            }

            await copy.CompleteAsync(ct);
        }

        const int systems = 20;
        await using (var batch = new NpgsqlBatch(connection))
        {
            for (var s = 0; s < systems; s++)
            {
                var system = $"sys-{s}";
                batch.BatchCommands.Add(new NpgsqlBatchCommand(
                    $"INSERT INTO sp_monitor_systems (id, account_id, name, status, rules, state, version, created_at_ms, updated_at_ms) VALUES ('{system}', '{Account}', 'srv-{s:D2}', 'active', NULL, '{{}}', 1, 0, 0)"));
                for (var d = 0; d < 8; d++)
                {
                    var down = from + (span / 8 * d) + (s * 60_000L);
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(
                        $"INSERT INTO sp_monitor_changes (system_id, seq, check_name, from_state, to_state, at_ms, summary) VALUES ('{system}', {(2 * d) + 1}, '*', 'up', 'down', {down}, 'down'), ('{system}', {(2 * d) + 2}, '*', 'down', 'up', {down + 600_000}, 'up')"));
                }

                batch.BatchCommands.Add(new NpgsqlBatchCommand(
                    $"INSERT INTO sp_monitor_maintenance (system_id, starts_at_ms, ends_at_ms, reason, created_by, created_at_ms) VALUES ('{system}', {from + (span / 2)}, {from + (span / 2) + 7_200_000}, 'patching', 'bench', 0)"));
            }

            for (var u = 0; u < 60; u++)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(
                    $"INSERT INTO sp_allowance_usage (account_id, usage_id, kind, period, started_at_ms, duration_ms, counted_minutes, overage_minutes, ticket_id, description, recorded_at_ms) VALUES ('{Account}', 'u{u}', 'phone', '2026-10', {from + (span / 60 * u)}, 600000, 12, 0, NULL, 'call', 0)"));
            }

            await batch.ExecuteNonQueryAsync(ct);
        }

        string[] checks = ["disk /", "cpu", "memory", "http", "ping"];
        string[] categories = ["disk", "cpu", "memory", "http", "availability"];
        string[] states = ["critical", "warning", "ok"];
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY sp_monitor_alerts (idem_key, system_id, source, host_name, check_name, state, category, dedup_key, occurred_at_ms, received_at_ms, summary) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < alertCount; i++)
            {
                var s = random.Next(systems);
                var c = random.Next(checks.Length);
                var at = from + (long)(random.NextDouble() * span);
                await copy.StartRowAsync(ct);
                await copy.WriteAsync("bench-" + i.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, ct);
                await copy.WriteAsync($"sys-{s}", NpgsqlDbType.Text, ct);
                await copy.WriteAsync("nagios", NpgsqlDbType.Text, ct);
                await copy.WriteAsync($"srv-{s:D2}", NpgsqlDbType.Text, ct);
                await copy.WriteAsync(checks[c], NpgsqlDbType.Text, ct);
                await copy.WriteAsync(states[random.Next(states.Length)], NpgsqlDbType.Text, ct);
                await copy.WriteAsync(categories[c], NpgsqlDbType.Text, ct);
                await copy.WriteAsync($"srv-{s:D2}/{checks[c]}", NpgsqlDbType.Text, ct);
                await copy.WriteAsync(at, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(at, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync("bench alert", NpgsqlDbType.Text, ct);
            }

            await copy.CompleteAsync(ct);
        }

        // VACUUM as well: a month's alerts are not all fresh; autovacuum (its insert threshold) has long marked their pages
        // all-visible, which index-only scans of the report's alert count rely on.
        await using var analyze = new NpgsqlCommand("VACUUM ANALYZE", connection);
        await analyze.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The 1-minute load average when the figure was taken (the machine is shared; figures vary with it).</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "-";

    private sealed class NoAdditionalWork : IAdditionalWorkSummary
    {
        public Task<AdditionalWorkSummary> GetAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
            Task.FromResult(new AdditionalWorkSummary(accountId, from, to, 0, 0, 0, 0, 0, 0, "USD"));
    }
}

/// <summary>The shipped report templates only: no silo here, so no saved overrides (the templates module needs one).</summary>
file sealed class ShippedReportTemplates(SupportPlatform.Templates.Contracts.ITemplateKind kind) : SupportPlatform.Templates.Contracts.ITemplateSource
{
    public Task<SupportPlatform.Templates.Contracts.ResolvedTemplate> GetAsync(string kindName, string name, string? accountId, CancellationToken cancellationToken = default) =>
        Task.FromResult(new SupportPlatform.Templates.Contracts.ResolvedTemplate(
            Scriban.Template.Parse(kind.Shipped(name), name), SupportPlatform.Templates.Contracts.TemplateOrigin.Shipped, name, null));
}
