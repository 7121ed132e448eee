using System.Data.Common;
using System.Text.Json;
using Dapper;
using SupportPlatform.Reports.Domain;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Reports.Data;

/// <summary>The settings and schedule of an account's reports.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="WeeklyEnabled">Whether last week's report is sent every week.</param>
/// <param name="WeeklyDay">The local weekday it is sent on.</param>
/// <param name="WeeklyHour">The local hour (0-23) it is sent at.</param>
/// <param name="MonthlyEnabled">Whether last month's report is sent on the first business day of each month.</param>
/// <param name="MonthlyHour">The local hour (0-23) it is sent at, or when the business day opens if later.</param>
/// <param name="Recipients">The stakeholders' addresses; empty: the account's managers.</param>
internal sealed record ReportSettings(
    string AccountId,
    bool WeeklyEnabled,
    DayOfWeek WeeklyDay,
    int WeeklyHour,
    bool MonthlyEnabled,
    int MonthlyHour,
    IReadOnlyList<string> Recipients)
{
    public static ReportSettings Default(string accountId) => new(accountId, false, DayOfWeek.Monday, 8, false, 8, []);

    /// <summary>
    /// What the legacy column <c>uptime_target_ppm</c> is written with: the uptime target is the monitoring alert rules'
    /// (migration 0020 moved the targets once set here); the column stays so nodes of the previous version still read rows.
    /// </summary>
    public const int LegacyUptimeTargetPpm = 999_000;
}

/// <summary>A report that was sent (one per account, kind and period).</summary>
internal sealed record ReportRun(string AccountId, string Kind, string Period, DateTimeOffset From, DateTimeOffset To, string SentVia, string SentBy, IReadOnlyList<string> Recipients, string Subject, DateTimeOffset SentAt);

/// <summary>Report settings, runs, agreed next steps and discussion notes (migration 0017).</summary>
internal sealed class ReportStore(IDatabase database, TimeProvider clock)
{
    public async Task<ReportSettings> SettingsAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<SettingsRow>(new CommandDefinition(
            "SELECT * FROM sp_report_settings WHERE account_id = @accountId", new { accountId }, cancellationToken: ct));
        return row is null ? ReportSettings.Default(accountId) : ToSettings(row);
    }

    public async Task<IReadOnlyList<ReportSettings>> AllSettingsAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return [.. (await connection.QueryAsync<SettingsRow>(new CommandDefinition("SELECT * FROM sp_report_settings", cancellationToken: ct))).Select(ToSettings)];
    }

    public async Task SaveSettingsAsync(ReportSettings s, string actor, DbTransaction tx, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_report_settings (account_id, weekly_enabled, weekly_day, weekly_hour, monthly_enabled, monthly_hour, recipients, uptime_target_ppm, updated_by, updated_at_ms)
            VALUES (@AccountId, @we, @wd, @WeeklyHour, @me, @MonthlyHour, @recipients, @ppm, @actor, @now)
            ON CONFLICT (account_id) DO UPDATE SET weekly_enabled = excluded.weekly_enabled, weekly_day = excluded.weekly_day,
                weekly_hour = excluded.weekly_hour, monthly_enabled = excluded.monthly_enabled, monthly_hour = excluded.monthly_hour,
                recipients = excluded.recipients, uptime_target_ppm = excluded.uptime_target_ppm, updated_by = excluded.updated_by,
                updated_at_ms = excluded.updated_at_ms
            """,
            new
            {
                s.AccountId,
                we = s.WeeklyEnabled ? 1 : 0,
                wd = (int)s.WeeklyDay,
                s.WeeklyHour,
                me = s.MonthlyEnabled ? 1 : 0,
                s.MonthlyHour,
                recipients = JsonSerializer.Serialize(s.Recipients),
                ppm = ReportSettings.LegacyUptimeTargetPpm,
                actor,
                now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            },
            tx,
            cancellationToken: ct));

    /// <summary>Records the run in <paramref name="tx"/>; false when this period was already sent (nothing is written).</summary>
    public async Task<bool> TryRecordRunAsync(ReportRun run, DbTransaction tx, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_report_runs (account_id, kind, period, period_start_ms, period_end_ms, sent_via, sent_by, recipients, subject, sent_at_ms)
            VALUES (@AccountId, @Kind, @Period, @from, @to, @SentVia, @SentBy, @recipients, @Subject, @at)
            ON CONFLICT (account_id, kind, period) DO NOTHING
            """,
            new
            {
                run.AccountId,
                run.Kind,
                run.Period,
                from = run.From.ToUnixTimeMilliseconds(),
                to = run.To.ToUnixTimeMilliseconds(),
                run.SentVia,
                run.SentBy,
                recipients = JsonSerializer.Serialize(run.Recipients),
                run.Subject,
                at = run.SentAt.ToUnixTimeMilliseconds(),
            },
            tx,
            cancellationToken: ct)) == 1;

    public async Task<ReportRun?> RunAsync(string accountId, string kind, string period, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            "SELECT * FROM sp_report_runs WHERE account_id = @accountId AND kind = @kind AND period = @period", new { accountId, kind, period }, cancellationToken: ct));
        return row is null ? null : ToRun(row);
    }

    public async Task<IReadOnlyList<ReportRun>> RunsAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return [.. (await connection.QueryAsync<RunRow>(new CommandDefinition(
            "SELECT * FROM sp_report_runs WHERE account_id = @accountId ORDER BY period_start_ms DESC, kind", new { accountId }, cancellationToken: ct))).Select(ToRun)];
    }

    public async Task<IReadOnlyList<NextStep>> NextStepsAsync(string accountId, bool openOnly, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return [.. (await connection.QueryAsync<NextStepRow>(new CommandDefinition(
            "SELECT * FROM sp_report_next_steps WHERE account_id = @accountId AND (@openOnly = 0 OR status = 'open') ORDER BY created_at_ms, id",
            new { accountId, openOnly = openOnly ? 1 : 0 }, cancellationToken: ct))).Select(ToStep)];
    }

    public async Task<NextStep> AddNextStepAsync(string accountId, string text, string? agreedIn, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new NextStepRow
        {
            Id = Guid.NewGuid().ToString("N")[..12],
            Account_Id = accountId,
            Body = text,
            Status = "open",
            Agreed_In = agreedIn,
            Created_By = actor,
            Created_At_Ms = now,
            Updated_At_Ms = now,
        };
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_report_next_steps (id, account_id, body, status, agreed_in, created_by, created_at_ms, updated_at_ms, done_at_ms)
            VALUES (@Id, @Account_Id, @Body, @Status, @Agreed_In, @Created_By, @Created_At_Ms, @Updated_At_Ms, NULL)
            """, row, cancellationToken: ct));
        return ToStep(row);
    }

    public async Task<NextStep?> UpdateNextStepAsync(string accountId, string id, string? text, string? status, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sp_report_next_steps SET body = COALESCE(@text, body), status = COALESCE(@status, status), updated_at_ms = @now,
                done_at_ms = CASE WHEN @status = 'done' THEN COALESCE(done_at_ms, @now) WHEN @status = 'open' THEN NULL ELSE done_at_ms END
            WHERE account_id = @accountId AND id = @id
            """, new { accountId, id, text, status, now }, cancellationToken: ct));
        if (changed == 0)
        {
            return null;
        }

        var row = await connection.QuerySingleAsync<NextStepRow>(new CommandDefinition(
            "SELECT * FROM sp_report_next_steps WHERE id = @id", new { id }, cancellationToken: ct));
        return ToStep(row);
    }

    public async Task<DiscussionNote> AddNoteAsync(string accountId, string kind, string period, string text, string author, CancellationToken ct)
    {
        var row = new NoteRow { Id = Guid.NewGuid().ToString("N")[..12], Kind = kind, Period = period, Body = text, Author = author, Created_At_Ms = clock.GetUtcNow().ToUnixTimeMilliseconds() };
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sp_report_notes (id, account_id, kind, period, body, author, created_at_ms) VALUES (@Id, @accountId, @Kind, @Period, @Body, @Author, @Created_At_Ms)",
            new { row.Id, accountId, row.Kind, row.Period, row.Body, row.Author, row.Created_At_Ms }, cancellationToken: ct));
        return ToNote(row);
    }

    public async Task<IReadOnlyList<DiscussionNote>> NotesAsync(string accountId, string kind, string period, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return [.. (await connection.QueryAsync<NoteRow>(new CommandDefinition(
            "SELECT * FROM sp_report_notes WHERE account_id = @accountId AND kind = @kind AND period = @period ORDER BY created_at_ms, id",
            new { accountId, kind, period }, cancellationToken: ct))).Select(ToNote)];
    }

    private static ReportSettings ToSettings(SettingsRow r) => new(
        r.Account_Id, r.Weekly_Enabled != 0, (DayOfWeek)r.Weekly_Day, r.Weekly_Hour, r.Monthly_Enabled != 0, r.Monthly_Hour,
        JsonSerializer.Deserialize<List<string>>(r.Recipients) ?? []);

    private static ReportRun ToRun(RunRow r) => new(
        r.Account_Id, r.Kind, r.Period, DateTimeOffset.FromUnixTimeMilliseconds(r.Period_Start_Ms), DateTimeOffset.FromUnixTimeMilliseconds(r.Period_End_Ms),
        r.Sent_Via, r.Sent_By, JsonSerializer.Deserialize<List<string>>(r.Recipients) ?? [], r.Subject, DateTimeOffset.FromUnixTimeMilliseconds(r.Sent_At_Ms));

    private static NextStep ToStep(NextStepRow r) => new(
        r.Id, r.Body, r.Status, r.Agreed_In, DateTimeOffset.FromUnixTimeMilliseconds(r.Created_At_Ms), r.Created_By,
        r.Done_At_Ms is { } d ? DateTimeOffset.FromUnixTimeMilliseconds(d) : null);

    private static DiscussionNote ToNote(NoteRow r) => new(r.Id, r.Kind, r.Period, r.Body, r.Author, DateTimeOffset.FromUnixTimeMilliseconds(r.Created_At_Ms));
}
