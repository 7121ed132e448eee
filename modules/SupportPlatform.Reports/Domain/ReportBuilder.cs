using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using NodaTime;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Billing.Contracts;
using SupportPlatform.Core;
using SupportPlatform.Reports.Data;
using SupportPlatform.Sla.Contracts;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Reports.Domain;

/// <summary>
/// Computes a report from the relational read model (tickets and their events, allowance usage, calls, monitoring changes,
/// maintenance and alerts) and the billing module's <see cref="IAdditionalWorkSummary"/>. Durations are business time on
/// the account's calendar (the SLA module's calendar arithmetic, DST and holidays included), or wall-clock time for the
/// priorities whose SLA runs 24/7, from the ticket's opening to its first public staff response or its resolution.
/// </summary>
internal sealed class ReportBuilder(IDatabase database, IGrainFactory grains, IAdditionalWorkSummary additionalWork, ReportStore store, TimeProvider clock)
{
    public const int RecurringAlertThreshold = 5;

    /// <summary>How many recurring checks get an insight of their own; the rest are summed up in one.</summary>
    public const int RecurringAlertsShown = 5;
    public const double AfterHoursShare = 0.5;
    public const int AfterHoursMinimum = 3;
    public const double ComplianceFloor = 90.0;
    public const int AllowanceDay = 20;

    public static readonly IReadOnlyList<InsightRule> Rules =
    [
        new("recurring-alerts", "Recurring alerts",
            $"A check on one system raised {RecurringAlertThreshold} or more problem alerts (warning, critical or unknown) in the period: the cause is structural, so plan a fix rather than keep reacting. The {RecurringAlertsShown} checks with the most alerts are listed; the others are summed up in one insight."),
        new("after-hours-critical", "Critical tickets outside business hours",
            $"At least {AfterHoursMinimum} critical tickets were opened and {AfterHoursShare:P0} or more of them arrived while the business calendar was closed: extended coverage would serve them faster."),
        new("phone-allowance-early", "Phone allowance used up early",
            $"The monthly phone allowance was used up by day {AllowanceDay} of the month in each of the last 3 months: a larger plan costs less than the overage."),
        new("sla-compliance", "SLA compliance below {ComplianceFloor}%",
            $"SLA compliance of a priority (tickets opened in the period without any breach) fell below {ComplianceFloor}%."),
        new("uptime-below-target", "Uptime below target",
            "A monitored system's uptime (maintenance windows excluded) was below the target agreed for the account."),
        new("volume-rising", "Ticket volume rising",
            "Tickets opened rose in each of the last 3 months (monthly reports): look for a common cause, such as ageing hardware or a recurring user need."),
    ];

    /// <summary>
    /// Spans of a report's build, one per phase ("report tickets", "report alerts", ...), for tracing and for the
    /// benchmark's breakdown of where the time goes.
    /// </summary>
    internal static readonly ActivitySource Activities = new("SupportPlatform.Reports");

    private static Activity? Phase(string name) => Activities.StartActivity("report " + name);

    private static Activity? Next(Activity? previous, string name)
    {
        previous?.Dispose();
        return Phase(name);
    }

    public async Task<AccountView> AccountAsync(string accountId)
    {
        if (!AccountKeys.IsValidId(accountId))
        {
            throw new ReportException(404, "not-found", $"'{accountId}' does not exist or is not visible to you.");
        }

        return await grains.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId)).Get()
            ?? throw new ReportException(404, "not-found", $"'{accountId}' does not exist or is not visible to you.");
    }

    public async Task<AccountReport> BuildAsync(string accountId, string kind, string label, CancellationToken ct)
    {
        var account = await AccountAsync(accountId);
        var period = ReportPeriod.Parse(kind, label, account.TimeZone);
        return await BuildAsync(account, period, ct);
    }

    public async Task<AccountReport> BuildAsync(AccountView account, ReportPeriod period, CancellationToken ct)
    {
        var calendar = account.Contract.Calendar;
        var policy = account.Contract.SlaPolicy;
        var f = period.From.ToUnixTimeMilliseconds();
        var t = period.To.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(ct);
        var times = new BusinessTimes(account.Contract);

        // One read for both sets (most tickets resolved in a period were also opened in it), only the columns the figures
        // use, with the business times kept for them if nothing they depend on changed since (see BusinessTimes).
        var phase = Phase("tickets");
        var tickets = (await connection.QueryAsync<TicketRow>(new CommandDefinition(
            """
            SELECT t.id, t.channel, t.priority, t.created_at_ms, t.first_response_at_ms, t.resolved_at_ms, t.breached,
                fr.business_ticks AS kept_first_response, rs.business_ticks AS kept_resolution
            FROM sp_tickets t
            LEFT JOIN sp_report_business_times fr ON fr.ticket_id = t.id AND fr.measure = 'first-response' AND fr.calendar = @calendar
                AND fr.priority = t.priority AND fr.from_ms = t.created_at_ms AND fr.to_ms = t.first_response_at_ms
            LEFT JOIN sp_report_business_times rs ON rs.ticket_id = t.id AND rs.measure = 'resolution' AND rs.calendar = @calendar
                AND rs.priority = t.priority AND rs.from_ms = t.created_at_ms AND rs.to_ms = t.resolved_at_ms
            WHERE t.account_id = @a AND ((t.created_at_ms >= @f AND t.created_at_ms < @t) OR (t.resolved_at_ms >= @f AND t.resolved_at_ms < @t))
            """, new { a = account.Id, f, t, calendar = times.Key }, cancellationToken: ct))).ToList();
        var opened = tickets.Where(x => x.Created_At_Ms >= f && x.Created_At_Ms < t).ToList();
        var resolved = tickets.Where(x => x.Resolved_At_Ms >= f && x.Resolved_At_Ms < t).ToList();
        var breaches = await BreachesAsync(connection, account.Id, f, t, ct);
        var mail = await MailAsync(connection, account.Id, f, t, ct);
        var email = EmailOf(mail, f, t);

        var channels = Enum.GetNames<TicketChannel>().Select(Kebab)
            .Select(c => new ChannelActivity(c, opened.Count(x => x.Channel == c), resolved.Count(x => x.Channel == c)))
            .Concat(opened.Select(x => x.Channel).Concat(resolved.Select(x => x.Channel)).Distinct()
                .Where(c => !Enum.GetNames<TicketChannel>().Select(Kebab).Contains(c))
                .Select(c => new ChannelActivity(c, opened.Count(x => x.Channel == c), resolved.Count(x => x.Channel == c))))
            .ToList();

        // Business time of each ticket is pure calendar arithmetic (the compiled calendar is thread-safe): spread over the
        // cores for large periods.
        phase = Next(phase, "business-times");
        var firstResponses = opened.Where(x => x.First_Response_At_Ms is not null).AsParallel().WithCancellation(ct)
            .Select(x => (x.Priority, Time: times.Measure(x, BusinessTimes.FirstResponse, x.First_Response_At_Ms!.Value, x.Kept_First_Response))).ToList();
        var firstResponseStats = DurationStats.Of(firstResponses.Select(x => x.Time).ToList());
        var resolutions = resolved.AsParallel().WithCancellation(ct).Select(x => (x.Priority, Time: times.Measure(x, BusinessTimes.Resolution, x.Resolved_At_Ms!.Value, x.Kept_Resolution))).ToList();
        phase = Next(phase, "figures");
        var compliance = Enum.GetValues<Priority>().Select(p =>
        {
            var ofPriority = opened.Where(x => x.Priority == (int)p).ToList();
            var breached = ofPriority.Count(x => x.Breached != 0);
            var targets = policy.For(p);
            return new PriorityCompliance(
                p.ToString(),
                ofPriority.Count,
                breached,
                Percent(ofPriority.Count - breached, ofPriority.Count),
                targets.FirstResponseMinutes,
                targets.ResolutionMinutes,
                DurationStats.Of(firstResponses.Where(x => x.Priority == (int)p).Select(x => x.Time).ToList()),
                DurationStats.Of(resolutions.Where(x => x.Priority == (int)p).Select(x => x.Time).ToList()));
        }).ToList();

        // Maintenance windows from a year back: the monthly trend covers up to 12 months ending with this one.
        phase = Next(phase, "monitoring");
        var monitor = await MonitorDataAsync(connection, account.Id, period.From.AddYears(-1).ToUnixTimeMilliseconds(), t, ct);
        var uptime = Uptime(monitor, [(period.From, period.To)]);
        phase = Next(phase, "phone-and-work");
        var phone = await PhoneAsync(connection, account, period, ct);
        var work = await additionalWork.GetAsync(account.Id, period.From, period.To, ct);
        phase = Next(phase, "alerts");
        var alerts = (await connection.QueryAsync<AlertCountRow>(new CommandDefinition(
            """
            SELECT a.system_id, s.name, a.host_name, a.check_name, a.category, COUNT(*) AS alerts
            FROM sp_monitor_alerts a JOIN sp_monitor_systems s ON s.id = a.system_id
            WHERE s.account_id = @a AND a.occurred_at_ms >= @f AND a.occurred_at_ms < @t AND a.state <> 'ok'
            GROUP BY a.system_id, s.name, a.host_name, a.check_name, a.category
            HAVING COUNT(*) >= @threshold
            """, new { a = account.Id, f, t, threshold = RecurringAlertThreshold }, cancellationToken: ct))).ToList();

        phase = Next(phase, "weeks-and-trends");
        var weeks = period.Kind == ReportKind.Monthly
            ? period.WeeksInside().Select(w =>
            {
                var (wf, wt) = (w.From.ToUnixTimeMilliseconds(), w.To.ToUnixTimeMilliseconds());
                return new WeekSlice(
                    w.Label,
                    $"{w.First.ToString("MM-dd", CultureInfo.InvariantCulture)} to {w.Last.ToString("MM-dd", CultureInfo.InvariantCulture)}",
                    opened.Count(x => x.Created_At_Ms >= wf && x.Created_At_Ms < wt),
                    resolved.Count(x => x.Resolved_At_Ms >= wf && x.Resolved_At_Ms < wt),
                    breaches.Count(b => b.RecordedAt.ToUnixTimeMilliseconds() >= wf && b.RecordedAt.ToUnixTimeMilliseconds() < wt),
                    EmailOf(mail, wf, wt));
            }).ToList()
            : [];
        var trends = period.Kind == ReportKind.Monthly ? await TrendsAsync(connection, account, period, monitor, times, (opened, resolved.Count, firstResponseStats, email), ct) : [];

        phase = Next(phase, "keep-business-times");
        // Keep what was measured for a period that is over (and its trend's months, all before it).
        if (t <= clock.GetUtcNow().ToUnixTimeMilliseconds())
        {
            await times.SaveAsync(connection, database.Provider, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        }

        phase = Next(phase, "insights");
        var insights = new List<Insight>();
        var recurring = alerts.Where(a => a.Alerts >= RecurringAlertThreshold)
            .OrderByDescending(a => a.Alerts).ThenBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Check_Name, StringComparer.Ordinal).ToList();
        foreach (var a in recurring.Take(RecurringAlertsShown))
        {
            var what = a.Category is { Length: > 0 } c && c != "other" ? c : a.Check_Name;
            insights.Add(new Insight("recurring-alerts",
                $"{what} alerts on {a.Name} recurred {a.Alerts} times",
                Advice(a.Category),
                Numbers(("system", a.Name), ("check", a.Check_Name), ("alerts", a.Alerts.ToString(CultureInfo.InvariantCulture)))));
        }

        if (recurring.Count > RecurringAlertsShown)
        {
            // The rest in one insight, so a noisy month does not bury the other findings under a hundred alike ones.
            var rest = recurring.Skip(RecurringAlertsShown).ToList();
            var restAlerts = rest.Sum(a => a.Alerts);
            insights.Add(new Insight("recurring-alerts",
                $"and {rest.Count} more checks recurred ({restAlerts} alerts)",
                "Review the monitoring of these checks with the client: fix the causes, or tune the thresholds that alert without need.",
                Numbers(
                    ("more checks", rest.Count.ToString(CultureInfo.InvariantCulture)),
                    ("alerts", restAlerts.ToString(CultureInfo.InvariantCulture)),
                    ("systems", rest.Select(a => a.System_Id).Distinct(StringComparer.Ordinal).Count().ToString(CultureInfo.InvariantCulture)),
                    ("most on one check", rest[0].Alerts.ToString(CultureInfo.InvariantCulture)))));
        }

        var critical = opened.Where(x => x.Priority == (int)Priority.Critical).ToList();
        var afterHours = critical.Count(x => !calendar.IsOpen(DateTimeOffset.FromUnixTimeMilliseconds(x.Created_At_Ms)));
        if (critical.Count >= AfterHoursMinimum && afterHours >= AfterHoursShare * critical.Count)
        {
            insights.Add(new Insight("after-hours-critical",
                $"{Pct(100.0 * afterHours / critical.Count)} of critical tickets ({afterHours} of {critical.Count}) arrived outside business hours",
                "Consider extended coverage (after-hours on-call) for critical issues.",
                Numbers(("critical", critical.Count.ToString(CultureInfo.InvariantCulture)), ("outside business hours", afterHours.ToString(CultureInfo.InvariantCulture)))));
        }

        var early = await AllowanceExhaustionAsync(connection, account, period, ct);
        if (early.Count == 3 && early.All(e => e.Day is not null && e.Day <= AllowanceDay))
        {
            insights.Add(new Insight("phone-allowance-early",
                $"Phone allowance exhausted by the {AllowanceDay}th for 3 months ({string.Join(", ", early.Select(e => $"{e.Month}: day {e.Day}"))})",
                "Consider a larger phone plan: the overage costs more.",
                Numbers([.. early.Select(e => (e.Month, $"used up on day {e.Day}"))])));
        }

        foreach (var c in compliance.Where(c => c.CompliancePercent < ComplianceFloor))
        {
            insights.Add(new Insight("sla-compliance",
                $"SLA compliance for {c.Priority} tickets was {Pct(c.CompliancePercent!.Value, 2)} ({c.Tickets - c.Breached} of {c.Tickets} without a breach)",
                $"Review staffing and routing for {c.Priority} tickets; the breaches are listed above.",
                Numbers(("tickets", c.Tickets.ToString(CultureInfo.InvariantCulture)), ("breached", c.Breached.ToString(CultureInfo.InvariantCulture)))));
        }

        foreach (var u in uptime.Where(u => u.UptimePercent is not null && !u.MeetsTarget))
        {
            insights.Add(new Insight("uptime-below-target",
                $"{u.Name} was up {Pct(u.UptimePercent!.Value, 3)}, below the target of {Pct(u.TargetPercent, 3)} ({Minutes(u.DownMinutes)} down outside maintenance)",
                "Plan redundancy or a root-cause review for this system.",
                Numbers(("uptime", Pct(u.UptimePercent!.Value, 3)), ("target", Pct(u.TargetPercent, 3)), ("down minutes", u.DownMinutes.ToString("0.##", CultureInfo.InvariantCulture)))));
        }

        if (trends.Count >= 4 && trends[^1].Opened > trends[^2].Opened && trends[^2].Opened > trends[^3].Opened && trends[^3].Opened > trends[^4].Opened)
        {
            insights.Add(new Insight("volume-rising",
                $"Tickets opened rose three months in a row ({trends[^4].Opened}, {trends[^3].Opened}, {trends[^2].Opened}, {trends[^1].Opened})",
                "Look for a common cause and plan a long-term fix (hardware refresh, training, automation).",
                Numbers([.. trends.TakeLast(4).Select(m => (m.Month, m.Opened.ToString(CultureInfo.InvariantCulture)))])));
        }

        phase = Next(phase, "next-steps");
        var steps = await store.NextStepsAsync(account.Id, openOnly: true, ct);
        var previous = period.Previous();
        phase?.Dispose();
        return new AccountReport(
            account.Id,
            account.Name,
            account.TimeZone,
            period.KindName,
            period.Label,
            period.Title,
            period.Dates,
            period.From,
            period.To,
            clock.GetUtcNow(),
            opened.Count,
            resolved.Count,
            channels,
            email,
            firstResponseStats,
            DurationStats.Of(resolutions.Select(x => x.Time).ToList()),
            compliance,
            Percent(opened.Count(x => x.Breached == 0), opened.Count),
            breaches,
            uptime,
            phone,
            new AdditionalWork(work.HoursLogged, work.AmountInvoiced, work.ApprovedAmount, work.EstimatesApproved, work.Currency),
            insights,
            Rules,
            weeks,
            trends,
            steps,
            await store.NotesAsync(account.Id, previous.KindName, previous.Label, ct),
            await store.NotesAsync(account.Id, period.KindName, period.Label, ct));
    }

    public async Task<StaffReport> BuildStaffAsync(string kind, string label, CancellationToken ct)
    {
        var period = ReportPeriod.Parse(kind, label, "Etc/UTC");
        var f = period.From.ToUnixTimeMilliseconds();
        var t = period.To.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(ct);
        var opened = (await connection.QueryAsync<TicketRow>(new CommandDefinition(
            """
            SELECT id, account_id, channel, priority, status, subject, group_name, agent_id, created_at_ms, first_response_at_ms, resolved_at_ms, breached
            FROM sp_tickets WHERE created_at_ms >= @f AND created_at_ms < @t
            """, new { f, t }, cancellationToken: ct))).ToList();
        var backlog = (await connection.QueryAsync<TicketRow>(new CommandDefinition(
            """
            SELECT id, account_id, channel, priority, status, subject, group_name, agent_id, created_at_ms, first_response_at_ms, resolved_at_ms, breached
            FROM sp_tickets WHERE status NOT IN ('resolved', 'closed') AND created_at_ms < @t
            """, new { t }, cancellationToken: ct))).ToList();
        var breaches = await BreachesAsync(connection, null, f, t, ct);
        var accounts = (await connection.QueryAsync<(string Id, string Name)>(new CommandDefinition(
            "SELECT id, name FROM sp_accounts ORDER BY id", cancellationToken: ct))).ToList();
        var usage = (await connection.QueryAsync<(string AccountId, long Minutes)>(new CommandDefinition(
            "SELECT account_id, SUM(counted_minutes) FROM sp_allowance_usage WHERE started_at_ms >= @f AND started_at_ms < @t GROUP BY account_id",
            new { f, t }, cancellationToken: ct))).ToDictionary(x => x.AccountId, x => (int)x.Minutes, StringComparer.Ordinal);

        // First response here is wall-clock minutes: the staff view spans accounts with different calendars.
        AgentLine Line(string name, IReadOnlyList<TicketRow> rows) => new(
            name,
            rows.Count,
            rows.Count(x => x.Breached != 0),
            Percent(rows.Count(x => x.Breached == 0), rows.Count),
            DurationStats.Of(rows.Where(x => x.First_Response_At_Ms is not null).Select(x => TimeSpan.FromMilliseconds(x.First_Response_At_Ms!.Value - x.Created_At_Ms)).ToList()));

        var lines = new List<AccountHours>();
        foreach (var (id, name) in accounts)
        {
            var view = await grains.GetGrain<IClientAccountGrain>(AccountKeys.Grain(id)).Get();
            var work = await additionalWork.GetAsync(id, period.From, period.To, ct);
            lines.Add(new AccountHours(id, name, usage.GetValueOrDefault(id), (int)(view?.Contract.Phone.MonthlyAllowance.TotalMinutes ?? 0), work.HoursLogged,
                opened.Count(x => x.Account_Id == id), breaches.Count(b => opened.Any(x => x.Id == b.TicketId && x.Account_Id == id))));
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return new StaffReport(
            period.KindName,
            period.Label,
            period.Title,
            period.From,
            period.To,
            clock.GetUtcNow(),
            [.. opened.GroupBy(x => x.Agent_Id ?? "(unassigned)").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Line(g.Key, [.. g]))],
            [.. opened.GroupBy(x => x.Group_Name ?? "(no group)").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Line(g.Key, [.. g]))],
            [.. Enum.GetValues<Priority>().Select(p => backlog.Where(x => x.Priority == (int)p).ToList()).Select((rows, i) => new BacklogLine(
                ((Priority)i).ToString(), rows.Count, rows.Count(x => x.Status == "pending-client"), rows.Count(x => now - x.Created_At_Ms > TimeSpan.FromDays(7).TotalMilliseconds)))],
            breaches,
            lines);
    }

    /// <summary>
    /// Mail received in [f, t) that the email module turned into a new ticket or a comment on one, each with whether it
    /// was answered: its ticket has a public comment by staff at or after the mail's arrival. Comments are matched in the
    /// read model's event JSON (<c>"visibility":"public"</c>, as the tickets module writes it), so one query serves both
    /// back-ends. One row per mail (an account gets a few hundred a month), so the weeks of a month and the months of a
    /// trend are counted from one read.
    /// </summary>
    private static async Task<List<MailRow>> MailAsync(System.Data.Common.DbConnection connection, string accountId, long f, long t, CancellationToken ct) =>
        [.. await connection.QueryAsync<MailRow>(new CommandDefinition(
            """
            SELECT m.received_at_ms,
                CAST(CASE WHEN m.disposition = 'ticket-created' THEN 1 ELSE 0 END AS bigint) AS new_ticket,
                CAST(CASE WHEN EXISTS (
                    SELECT 1 FROM sp_ticket_events e
                    WHERE e.ticket_id = m.ticket_id AND e.kind = 'comment' AND e.actor_kind = 'staff' AND e.at_ms >= m.received_at_ms
                      AND e.data LIKE '%"visibility":"public"%') THEN 1 ELSE 0 END AS bigint) AS answered
            FROM sp_inbound_mail m
            WHERE m.account_id = @a AND m.state = 'done' AND m.disposition IN ('ticket-created', 'comment-added')
              AND m.ticket_id IS NOT NULL AND m.received_at_ms >= @f AND m.received_at_ms < @t
            """, new { a = accountId, f, t }, cancellationToken: ct))];

    /// <summary>The email counts of the mail received in [f, t).</summary>
    private static EmailActivity EmailOf(IReadOnlyList<MailRow> mail, long f, long t)
    {
        var inside = mail.Where(m => m.Received_At_Ms >= f && m.Received_At_Ms < t).ToList();
        var newTickets = inside.Count(m => m.New_Ticket != 0);
        var answered = inside.Count(m => m.Answered != 0);
        return new EmailActivity(inside.Count, newTickets, inside.Count - newTickets, answered, Percent(answered, inside.Count));
    }

    private static async Task<List<BreachLine>> BreachesAsync(System.Data.Common.DbConnection connection, string? accountId, long f, long t, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<BreachRow>(new CommandDefinition(
            """
            SELECT e.ticket_id, e.at_ms, e.data, t.subject, t.priority
            FROM sp_ticket_events e JOIN sp_tickets t ON t.id = e.ticket_id
            WHERE e.kind = 'sla-breach' AND e.at_ms >= @f AND e.at_ms < @t AND (@a IS NULL OR t.account_id = @a)
            ORDER BY e.at_ms, e.ticket_id
            """, new { a = accountId, f, t }, cancellationToken: ct));
        return [.. rows.Select(r =>
        {
            using var json = JsonDocument.Parse(r.Data);
            var clock = json.RootElement.TryGetProperty("clock", out var c) ? c.GetString() ?? "" : "";
            var due = json.RootElement.TryGetProperty("dueAt", out var d) && d.TryGetDateTimeOffset(out var at) ? at : DateTimeOffset.FromUnixTimeMilliseconds(r.At_Ms);
            return new BreachLine(r.Ticket_Id, r.Subject, ((Priority)r.Priority).ToString(), clock, due.ToUniversalTime(), DateTimeOffset.FromUnixTimeMilliseconds(r.At_Ms));
        })];
    }

    /// <summary>The account's monitored systems with their availability changes and maintenance windows up to <paramref name="end"/>, in three queries.</summary>
    private static async Task<MonitorData> MonitorDataAsync(System.Data.Common.DbConnection connection, string accountId, long start, long end, CancellationToken ct)
    {
        var systems = (await connection.QueryAsync<SystemRow>(new CommandDefinition(
            "SELECT id, name, created_at_ms, rules FROM sp_monitor_systems WHERE account_id = @a ORDER BY name, id", new { a = accountId }, cancellationToken: ct))).ToList();
        var accountTarget = UptimeTarget(await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT rules FROM sp_monitor_account_rules WHERE account_id = @a", new { a = accountId }, cancellationToken: ct)));
        if (systems.Count == 0)
        {
            return new MonitorData(systems, accountTarget, Array.Empty<ChangeRow>().ToLookup(c => c.System_Id), Array.Empty<WindowRow>().ToLookup(w => w.System_Id));
        }

        var changes = await connection.QueryAsync<ChangeRow>(new CommandDefinition(
            """
            SELECT c.system_id, c.at_ms, c.to_state FROM sp_monitor_changes c JOIN sp_monitor_systems s ON s.id = c.system_id
            WHERE s.account_id = @a AND c.check_name = '*' AND c.at_ms < @end ORDER BY c.system_id, c.at_ms, c.seq
            """, new { a = accountId, end }, cancellationToken: ct));
        var windows = await connection.QueryAsync<WindowRow>(new CommandDefinition(
            """
            SELECT m.system_id, m.starts_at_ms, m.ends_at_ms FROM sp_monitor_maintenance m JOIN sp_monitor_systems s ON s.id = m.system_id
            WHERE s.account_id = @a AND m.ends_at_ms > @start AND m.starts_at_ms < @end
            """, new { a = accountId, start, end }, cancellationToken: ct));
        return new MonitorData(systems, accountTarget, changes.ToLookup(c => c.System_Id), windows.ToLookup(w => w.System_Id));
    }

    private static List<UptimeLine> Uptime(MonitorData data, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> periods)
    {
        var lines = new List<UptimeLine>();
        foreach (var system in data.Systems)
        {
            var target = UptimeTarget(system.Rules) ?? data.AccountTarget ?? DefaultUptimeTarget;
            var changes = data.Changes[system.Id].ToList();
            var windows = data.Windows[system.Id].ToList();
            long measured = 0, down = 0, maintenance = 0;
            foreach (var (pFrom, pTo) in periods)
            {
                var (m, d, w) = Availability(
                    Math.Max(pFrom.ToUnixTimeMilliseconds(), Math.Min(system.Created_At_Ms, changes.Count > 0 ? changes[0].At_Ms : long.MaxValue)),
                    pTo.ToUnixTimeMilliseconds(),
                    changes,
                    windows);
                measured += m;
                down += d;
                maintenance += w;
            }

            double? percent = measured <= 0 ? null : Math.Round(100.0 * (measured - down) / measured, 4);
            lines.Add(new UptimeLine(system.Id, system.Name, percent, target, percent is null || percent >= target,
                down / 60000.0, maintenance / 60000.0, measured / 60000.0));
        }

        return lines;
    }

    private sealed record MonitorData(List<SystemRow> Systems, double? AccountTarget, ILookup<string, ChangeRow> Changes, ILookup<string, WindowRow> Windows);

    /// <summary>The monitoring module's default <c>AlertRules.UptimeTarget</c>.</summary>
    public const double DefaultUptimeTarget = 99.9;

    /// <summary>
    /// The uptime target of monitoring alert rules stored as JSON (<c>sp_monitor_account_rules.rules</c>,
    /// <c>sp_monitor_systems.rules</c>): null when there are no rules; rules without an <c>uptimeTarget</c> have the
    /// default. A system's rules replace the account's, as in the monitoring module (its rules type is internal to it).
    /// </summary>
    internal static double? UptimeTarget(string? rulesJson)
    {
        if (string.IsNullOrWhiteSpace(rulesJson))
        {
            return null;
        }

        using var json = JsonDocument.Parse(rulesJson);
        if (json.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in json.RootElement.EnumerateObject())
        {
            if (string.Equals(property.Name, "uptimeTarget", StringComparison.OrdinalIgnoreCase) && property.Value.TryGetDouble(out var target))
            {
                return target;
            }
        }

        return DefaultUptimeTarget;
    }

    /// <summary>
    /// Measured, down and maintenance milliseconds of [from, to): down spans come from the system's availability changes
    /// (check '*'), maintenance windows are cut out of both the measured and the down time. The same rules as the
    /// monitoring module's uptime figures (whose calculator is internal to it), over the same tables.
    /// </summary>
    internal static (long Measured, long Down, long Maintenance) Availability(long from, long to, IReadOnlyList<ChangeRow> changes, IReadOnlyList<WindowRow> windows)
    {
        if (to <= from)
        {
            return (0, 0, 0);
        }

        var isDown = changes.LastOrDefault(c => c.At_Ms < from) is { } before && before.To_State == "down";
        var since = from;
        var downSpans = new List<(long, long)>();
        foreach (var c in changes.Where(c => c.At_Ms >= from && c.At_Ms < to))
        {
            var nowDown = c.To_State == "down";
            if (isDown && !nowDown)
            {
                downSpans.Add((since, c.At_Ms));
            }
            else if (!isDown && nowDown)
            {
                since = c.At_Ms;
            }

            isDown = nowDown;
        }

        if (isDown)
        {
            downSpans.Add((since, to));
        }

        var merged = new List<(long S, long E)>();
        foreach (var w in windows.Select(w => (S: Math.Max(w.Starts_At_Ms, from), E: Math.Min(w.Ends_At_Ms, to))).Where(w => w.S < w.E).OrderBy(w => w.S))
        {
            if (merged.Count > 0 && w.S <= merged[^1].E)
            {
                merged[^1] = (merged[^1].S, Math.Max(merged[^1].E, w.E));
            }
            else
            {
                merged.Add(w);
            }
        }

        var maintenance = merged.Sum(w => w.E - w.S);
        var down = downSpans.Sum(d => (d.Item2 - d.Item1) - merged.Sum(w => Math.Max(0, Math.Min(d.Item2, w.E) - Math.Max(d.Item1, w.S))));
        return (to - from - maintenance, down, maintenance);
    }

    private static async Task<PhoneHours> PhoneAsync(System.Data.Common.DbConnection connection, AccountView account, ReportPeriod period, CancellationToken ct)
    {
        var month = period.LastDay.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var row = await connection.QuerySingleOrDefaultAsync<AllowancePeriodRow>(new CommandDefinition(
            "SELECT period, allowance_minutes, used_minutes, overage_minutes FROM sp_allowance_periods WHERE account_id = @a AND period = @month",
            new { a = account.Id, month }, cancellationToken: ct));
        var used = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT SUM(counted_minutes) FROM sp_allowance_usage WHERE account_id = @a AND started_at_ms >= @f AND started_at_ms < @t",
            new { a = account.Id, f = period.From.ToUnixTimeMilliseconds(), t = period.To.ToUnixTimeMilliseconds() }, cancellationToken: ct)) ?? 0;
        var calls = (await connection.QueryAsync<CallRow>(new CommandDefinition(
            "SELECT outcome, answered_at_ms FROM sp_calls WHERE account_id = @a AND started_at_ms >= @f AND started_at_ms < @t",
            new { a = account.Id, f = period.From.ToUnixTimeMilliseconds(), t = period.To.ToUnixTimeMilliseconds() }, cancellationToken: ct))).ToList();
        var allowance = row?.Allowance_Minutes ?? (int)account.Contract.Phone.MonthlyAllowance.TotalMinutes;
        var inMonth = row?.Used_Minutes ?? 0;
        return new PhoneHours(month, allowance, (int)used, inMonth, row?.Overage_Minutes ?? 0, Percent(inMonth, allowance),
            calls.Count(c => c.Answered_At_Ms is not null), calls.Count(c => c.Outcome.Contains("voicemail", StringComparison.Ordinal)));
    }

    /// <summary>For the report's month and the two before it: the local day of the month on which the allowance ran out (null: it did not).</summary>
    private static async Task<List<(string Month, int? Day)>> AllowanceExhaustionAsync(System.Data.Common.DbConnection connection, AccountView account, ReportPeriod period, CancellationToken ct)
    {
        var zone = ReportPeriod.Zone(account.TimeZone);
        var last = new LocalDate(period.LastDay.Year, period.LastDay.Month, 1);
        var months = new[] { last.PlusMonths(-2), last.PlusMonths(-1), last }.Select(m => m.ToString("yyyy-MM", CultureInfo.InvariantCulture)).ToArray();
        var usage = (await connection.QueryAsync<UsageRow>(new CommandDefinition(
            "SELECT period, started_at_ms, counted_minutes FROM sp_allowance_usage WHERE account_id = @a AND period >= @first AND period <= @last ORDER BY started_at_ms",
            new { a = account.Id, first = months[0], last = months[^1] }, cancellationToken: ct))).ToList();
        var allowances = (await connection.QueryAsync<AllowancePeriodRow>(new CommandDefinition(
            "SELECT period, allowance_minutes, used_minutes, overage_minutes FROM sp_allowance_periods WHERE account_id = @a AND period >= @first AND period <= @last",
            new { a = account.Id, first = months[0], last = months[^1] }, cancellationToken: ct))).ToDictionary(r => r.Period, r => r.Allowance_Minutes, StringComparer.Ordinal);
        var result = new List<(string, int?)>();
        foreach (var month in months)
        {
            var allowance = allowances.TryGetValue(month, out var a) ? a : (int)account.Contract.Phone.MonthlyAllowance.TotalMinutes;
            var sum = 0;
            int? day = null;
            foreach (var u in usage.Where(u => u.Period == month))
            {
                sum += u.Counted_Minutes;
                if (sum >= allowance && allowance > 0)
                {
                    day = Instant.FromUnixTimeMilliseconds(u.Started_At_Ms).InZone(zone).Day;
                    break;
                }
            }

            result.Add((month, day));
        }

        return result;
    }

    private static async Task<List<TrendMonth>> TrendsAsync(System.Data.Common.DbConnection connection, AccountView account, ReportPeriod period, MonitorData monitor, BusinessTimes times, (IReadOnlyList<TicketRow> Opened, int Resolved, DurationStats FirstResponse, EmailActivity Email) current, CancellationToken ct)
    {
        // The last 12 months ending with this one; months before the account existed are left out, but at least 6 are shown.
        var months = Enumerable.Range(0, 12).Select(i => period.FirstDay.PlusMonths(i - 11)).Select(d => ReportPeriod.Month(d.Year, d.Month, account.TimeZone)).ToList();
        while (months.Count > 6 && months[0].To <= account.CreatedAt)
        {
            months.RemoveAt(0);
        }

        // The report's own month is computed already (its opened tickets and their first responses in business time, the
        // most expensive figure): only the months before it are read and computed here.
        var f = months[0].From.ToUnixTimeMilliseconds();
        var t = months[^1].From.ToUnixTimeMilliseconds();
        var tickets = (await connection.QueryAsync<TicketRow>(new CommandDefinition(
            """
            SELECT t.id, t.channel, t.priority, t.created_at_ms, t.first_response_at_ms, t.resolved_at_ms, t.breached,
                fr.business_ticks AS kept_first_response
            FROM sp_tickets t
            LEFT JOIN sp_report_business_times fr ON fr.ticket_id = t.id AND fr.measure = 'first-response' AND fr.calendar = @calendar
                AND fr.priority = t.priority AND fr.from_ms = t.created_at_ms AND fr.to_ms = t.first_response_at_ms
            WHERE t.account_id = @a AND ((t.created_at_ms >= @f AND t.created_at_ms < @t) OR (t.resolved_at_ms >= @f AND t.resolved_at_ms < @t))
            """, new { a = account.Id, f, t, calendar = times.Key }, cancellationToken: ct))).ToList();
        var mail = await MailAsync(connection, account.Id, f, t, ct);
        var labels = months.Select(m => m.Label).ToArray();
        var phone = (await connection.QueryAsync<AllowancePeriodRow>(new CommandDefinition(
            "SELECT period, allowance_minutes, used_minutes, overage_minutes FROM sp_allowance_periods WHERE account_id = @a AND period >= @first AND period <= @last",
            new { a = account.Id, first = labels[0], last = labels[^1] }, cancellationToken: ct))).ToDictionary(r => r.Period, StringComparer.Ordinal);
        var result = new List<TrendMonth>();
        foreach (var m in months)
        {
            var (mf, mt) = (m.From.ToUnixTimeMilliseconds(), m.To.ToUnixTimeMilliseconds());
            var isCurrent = m.Label == period.Label;
            var opened = isCurrent ? current.Opened : tickets.Where(x => x.Created_At_Ms >= mf && x.Created_At_Ms < mt).ToList();
            var first = isCurrent ? current.FirstResponse : DurationStats.Of(opened.Where(x => x.First_Response_At_Ms is not null)
                .Select(x => times.Measure(x, BusinessTimes.FirstResponse, x.First_Response_At_Ms!.Value, x.Kept_First_Response)).ToList());
            var uptime = Uptime(monitor, [(m.From, m.To)]);
            var measured = uptime.Sum(u => u.MeasuredMinutes);
            phone.TryGetValue(m.Label, out var p);
            var email = isCurrent ? current.Email : EmailOf(mail, mf, mt);
            result.Add(new TrendMonth(
                m.Label,
                opened.Count,
                isCurrent ? current.Resolved : tickets.Count(x => x.Resolved_At_Ms >= mf && x.Resolved_At_Ms < mt),
                Percent(opened.Count(x => x.Breached == 0), opened.Count),
                first.MedianMinutes,
                p?.Used_Minutes ?? 0,
                p?.Allowance_Minutes ?? (int)account.Contract.Phone.MonthlyAllowance.TotalMinutes,
                measured > 0 ? Math.Round(100 * (measured - uptime.Sum(u => u.DownMinutes)) / measured, 4) : null,
                email));
        }

        return result;
    }

    private static string Advice(string category) => category switch
    {
        "disk" => "Plan a capacity upgrade (or a clean-up policy) before the disk fills.",
        "memory" => "Plan a memory upgrade or look for a leak.",
        "cpu" => "Plan more compute, or find what saturates it.",
        "network" => "Review the network path and its hardware.",
        "backup" => "Fix the backup job: repeated failures leave data unprotected.",
        "certificate" => "Automate certificate renewal.",
        _ => "Investigate the root cause and plan a permanent fix.",
    };

    private static IReadOnlyList<InsightNumber> Numbers(params (string Key, string Value)[] pairs) =>
        [.. pairs.Select(p => new InsightNumber(p.Key, p.Value))];

    internal static double? Percent(int part, int whole) => whole == 0 ? null : Math.Round(100.0 * part / whole, 2);

    internal static string Pct(double value, int decimals = 1) => value.ToString("0." + new string('#', decimals), CultureInfo.InvariantCulture) + "%";

    internal static string Minutes(double minutes) => minutes.ToString("0.##", CultureInfo.InvariantCulture) + " min";

    private static string Kebab(string name) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(name);
}
