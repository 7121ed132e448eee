using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Billing.Contracts;
using SupportPlatform.Billing.Persistence;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Billing.Domain;

/// <summary>
/// Scope rules, estimates, approvals, tasks and time entries, in the relational store. Every change runs in one
/// transaction that first touches the estimate's row, so changes to one estimate are serialised on both back-ends
/// (PostgreSQL row lock; SQLite's write lock) and a check such as the budget cannot race with another entry.
/// </summary>
internal sealed partial class EstimateService(
    IDatabase database,
    IClusterClient cluster,
    BillingOptions options,
    TimeProvider clock,
    IEnumerable<IBudgetObserver> observers,
    ILogger<EstimateService> logger)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string EstimateColumns = """
        id AS Id, account_id AS AccountId, ticket_id AS TicketId, title AS Title, scope_reason AS ScopeReason,
        scope_rule_id AS ScopeRuleId, status AS Status, current_version AS CurrentVersion, approved_version AS ApprovedVersion,
        created_by AS CreatedBy, created_at_ms AS CreatedAtMs, updated_at_ms AS UpdatedAtMs
        """;

    // ---- scope rules ----

    public async Task<ContractScope> GetScopeAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Rules, string UpdatedBy, long UpdatedAtMs)?>(
            "SELECT rules, updated_by, updated_at_ms FROM sp_billing_scope WHERE account_id = @accountId", new { accountId });
        return row is { } r
            ? new ContractScope(accountId, JsonSerializer.Deserialize<List<ScopeRule>>(r.Rules, Json) ?? [], r.UpdatedBy, DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAtMs))
            : new ContractScope(accountId, [], null, null);
    }

    public async Task<ContractScope> SetScopeAsync(string accountId, ScopeRequest request, Actor actor, CancellationToken ct)
    {
        await RequireAccountAsync(accountId);
        var problems = new List<string>();
        var rules = new List<ScopeRule>();
        foreach (var (rule, index) in (request.Rules ?? []).Select((r, i) => (r, i + 1)))
        {
            var kind = rule?.Kind?.Trim().ToLowerInvariant();
            var text = rule?.Text?.Trim() ?? "";
            if (kind is not ("in" or "out"))
            {
                problems.Add($"Rule {index}: kind must be \"in\" (covered by the contract) or \"out\" (billed by the hour).");
            }

            if (text.Length is 0 or > 500)
            {
                problems.Add($"Rule {index}: the text must be 1 to 500 characters.");
            }

            var id = string.IsNullOrWhiteSpace(rule?.Id) ? $"r{index}" : rule.Id.Trim();
            if (rules.Any(r => r.Id == id))
            {
                problems.Add($"Rule {index}: the id '{id}' is used twice.");
            }

            rules.Add(new ScopeRule(id, kind ?? "", text));
        }

        if (problems.Count > 0)
        {
            throw new BillingException(400, "invalid-scope-rules", string.Join(" ", problems));
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(
            """
            INSERT INTO sp_billing_scope (account_id, rules, updated_by, updated_at_ms) VALUES (@accountId, @rules, @by, @now)
            ON CONFLICT (account_id) DO UPDATE SET rules = excluded.rules, updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms
            """,
            new { accountId, rules = JsonSerializer.Serialize(rules, Json), by = actor.Id, now });
        return await GetScopeAsync(accountId, ct);
    }

    // ---- estimates ----

    public async Task<Estimate> CreateAsync(CreateEstimateRequest request, Actor actor, CancellationToken ct)
    {
        var accountId = request.AccountId?.Trim() ?? "";
        var account = await RequireAccountAsync(accountId);
        var problems = new List<string>();
        var title = request.Title?.Trim() ?? "";
        if (title.Length is 0 or > 200)
        {
            problems.Add("The title must be 1 to 200 characters, e.g. \"Migrate the mail server\".");
        }

        var reason = request.ScopeReason?.Trim() ?? "";
        if (reason.Length is 0 or > 2000)
        {
            problems.Add("Say why the work is out of the contract's scope (scopeReason, 1 to 2000 characters).");
        }

        if (request.ScopeRuleId is { } ruleId && (await GetScopeAsync(accountId, ct)).Rules.All(r => r.Id != ruleId))
        {
            problems.Add($"The contract of '{accountId}' has no scope rule '{ruleId}'; list them with GET /api/billing/accounts/{accountId}/scope-rules.");
        }

        var version = BuildVersion(1, request.Lines, request.Assumptions, request.ValidUntil, account, actor, problems);
        if (problems.Count > 0)
        {
            throw new BillingException(400, "invalid-estimate", string.Join(" ", problems));
        }

        var id = "est-" + Guid.NewGuid().ToString("N")[..12];
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(
            """
            INSERT INTO sp_billing_estimates (id, account_id, ticket_id, title, scope_reason, scope_rule_id, status, current_version,
                approved_version, created_by, created_at_ms, updated_at_ms)
            VALUES (@id, @accountId, @ticketId, @title, @reason, @ruleId, 'draft', 1, NULL, @by, @now, @now)
            """,
            new { id, accountId, ticketId = request.TicketId, title, reason, ruleId = request.ScopeRuleId, by = actor.Id, now }, tx);
        await InsertVersionAsync(connection, tx, id, version);
        await tx.CommitAsync(ct);
        LogCreated(logger, id, accountId, version.Total, version.Currency);
        return (await GetAsync(id, ct))!;
    }

    /// <summary>
    /// Prices a draft without storing it, with the same rules as <see cref="CreateAsync"/> (the contract's rate when a
    /// line has none, tax and currency from the settings): the console's estimate form shows these totals as staff type,
    /// so the browser never does money arithmetic. <c>Amounts</c> follows the request's lines (null: that line is not
    /// valid yet); the totals cover the valid lines; <c>Problems</c> says what would be refused.
    /// </summary>
    public async Task<EstimateQuote> QuoteAsync(CreateEstimateRequest request, Actor actor)
    {
        var account = await RequireAccountAsync(request.AccountId?.Trim() ?? "");
        var lines = request.Lines ?? [];
        var amounts = lines.Select(line =>
        {
            var ignored = new List<string>();
            var single = BuildVersion(1, [line], null, Today(), account, actor, ignored);
            return single.Lines.Count == 1 ? single.Lines[0].Amount : (decimal?)null;
        }).ToList();
        var problems = new List<string>();
        var version = BuildVersion(1, lines, request.Assumptions, request.ValidUntil, account, actor, problems);
        return new EstimateQuote(amounts, version.Hours, version.Subtotal, version.Tax, version.Total, version.Currency, version.TaxName, version.TaxRate, problems);
    }

    public async Task<Estimate> ReviseAsync(string id, ReviseEstimateRequest request, Actor actor, CancellationToken ct)
    {
        var existing = await GetAsync(id, ct) ?? throw NotFound(id);
        if (existing.Status == "completed")
        {
            throw new BillingException(409, "estimate-completed", $"Estimate '{id}' is completed; open a new estimate for more work.");
        }

        var account = await RequireAccountAsync(existing.AccountId);
        var problems = new List<string>();
        var title = request.Title?.Trim() ?? existing.Title;
        if (title.Length is 0 or > 200)
        {
            problems.Add("The title must be 1 to 200 characters.");
        }

        var version = BuildVersion(existing.CurrentVersion + 1, request.Lines ?? existing.Current.Lines.Select(l => new EstimateLineRequest(l.Task, l.Hours, l.Rate)).ToList(),
            request.Assumptions ?? existing.Current.Assumptions, request.ValidUntil ?? existing.Current.ValidUntil, account, actor, problems);
        if (problems.Count > 0)
        {
            throw new BillingException(400, "invalid-estimate", string.Join(" ", problems));
        }

        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var current = await LockAsync(connection, tx, id);
        if (current.CurrentVersion != existing.CurrentVersion)
        {
            throw new BillingException(409, "estimate-changed", $"Estimate '{id}' was changed meanwhile (now version {current.CurrentVersion}); reload it and revise again.");
        }

        await InsertVersionAsync(connection, tx, id, version);
        // A changed estimate needs a new approval; the approved version (if any) stays in force for time logging until then.
        await connection.ExecuteAsync(
            "UPDATE sp_billing_estimates SET title = @title, current_version = @v, status = 'draft', updated_at_ms = @now WHERE id = @id",
            new { id, title, v = version.Version, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        await tx.CommitAsync(ct);
        return (await GetAsync(id, ct))!;
    }

    /// <summary>Marks the current version sent; the caller mails it in the same transaction.</summary>
    public async Task<Estimate> MarkSentAsync(string id, Func<Estimate, DbTransaction, Task> send, CancellationToken ct)
    {
        var estimate = await GetAsync(id, ct) ?? throw NotFound(id);
        if (estimate.Status == "completed" || estimate.Approvals.Any(a => a.Version == estimate.CurrentVersion))
        {
            throw new BillingException(409, "estimate-decided",
                $"Version {estimate.CurrentVersion} of estimate '{id}' is already {estimate.Status}; revise it (PUT) to send a new version.");
        }

        if (estimate.Current.ValidUntil < Today())
        {
            throw new BillingException(409, "estimate-expired", $"Version {estimate.CurrentVersion} was valid until {estimate.Current.ValidUntil:yyyy-MM-dd}; revise it with a new validity date before sending.");
        }

        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockAsync(connection, tx, id);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(
            "UPDATE sp_billing_estimate_versions SET sent_at_ms = COALESCE(sent_at_ms, @now) WHERE estimate_id = @id AND version = @v",
            new { id, v = estimate.CurrentVersion, now }, tx);
        await connection.ExecuteAsync("UPDATE sp_billing_estimates SET status = 'sent', updated_at_ms = @now WHERE id = @id", new { id, now }, tx);
        await send(estimate, tx);
        await tx.CommitAsync(ct);
        return (await GetAsync(id, ct))!;
    }

    /// <summary>
    /// Records the client's decision on <paramref name="version"/>. Idempotent: the same decision again returns the
    /// estimate as it is; a different one after a decision is refused.
    /// </summary>
    public async Task<(Estimate Estimate, bool Repeated)> DecideAsync(string id, int version, string decision, string? reason, Actor actor, string via, CancellationToken ct)
    {
        if (decision is not ("approved" or "declined"))
        {
            throw new BillingException(400, "invalid-decision", "The decision must be \"approve\" or \"decline\".");
        }

        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await LockAsync(connection, tx, id);
        var earlier = await connection.QuerySingleOrDefaultAsync<ApprovalRow>(
            "SELECT version AS Version, decision AS Decision, user_id AS UserId FROM sp_billing_approvals WHERE estimate_id = @id AND version = @version",
            new { id, version }, tx);
        if (earlier is not null)
        {
            await tx.RollbackAsync(ct);
            if (earlier.Decision == decision)
            {
                return ((await GetAsync(id, ct))!, true);
            }

            throw new BillingException(409, "already-decided", $"Version {version} of estimate '{id}' was already {earlier.Decision}; a decision cannot be changed. Ask for a revised estimate.");
        }

        if (version != row.CurrentVersion)
        {
            throw new BillingException(409, "estimate-changed",
                $"Estimate '{id}' has changed: version {row.CurrentVersion} replaces version {version}. Review version {row.CurrentVersion} and decide on it.");
        }

        var body = await connection.QuerySingleAsync<VersionRow>(
            "SELECT version AS Version, body AS Body, sent_at_ms AS SentAtMs FROM sp_billing_estimate_versions WHERE estimate_id = @id AND version = @version", new { id, version }, tx);
        if (row.Status != "sent" || body.SentAtMs is null)
        {
            throw new BillingException(409, "not-sent", $"Version {version} of estimate '{id}' has not been sent for approval.");
        }

        var v = JsonSerializer.Deserialize<EstimateVersion>(body.Body, Json)!;
        if (decision == "approved" && v.ValidUntil < Today())
        {
            throw new BillingException(409, "estimate-expired", $"This estimate was valid until {v.ValidUntil:yyyy-MM-dd}; ask the MSP for a new one.");
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(
            """
            INSERT INTO sp_billing_approvals (estimate_id, version, decision, user_id, user_name, via, ip, user_agent, reason, at_ms)
            VALUES (@id, @version, @decision, @userId, @userName, @via, @ip, @ua, @reason, @now)
            """,
            new { id, version, decision, userId = actor.Id, userName = actor.Name, via, ip = actor.Ip, ua = Truncate(actor.UserAgent, 500), reason = Truncate(reason?.Trim(), 2000), now }, tx);
        if (decision == "approved")
        {
            await connection.ExecuteAsync("UPDATE sp_billing_estimates SET status = 'approved', approved_version = @version, updated_at_ms = @now WHERE id = @id", new { id, version, now }, tx);
            await SyncTasksAsync(connection, tx, id, v);
        }
        else
        {
            // A declined revision leaves the earlier approval in force; a declined first estimate ends it.
            await connection.ExecuteAsync(
                "UPDATE sp_billing_estimates SET status = CASE WHEN approved_version IS NULL THEN 'declined' ELSE 'approved' END, updated_at_ms = @now WHERE id = @id",
                new { id, now }, tx);
        }

        await tx.CommitAsync(ct);
        LogDecided(logger, id, version, decision, actor.Id, via);
        return ((await GetAsync(id, ct))!, false);
    }

    public async Task<Estimate> CompleteAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await LockAsync(connection, tx, id);
        if (row.ApprovedVersion is null)
        {
            throw new BillingException(409, "not-approved", $"Estimate '{id}' was never approved; there is no work to complete.");
        }

        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sp_billing_time_entries WHERE estimate_id = @id AND minutes IS NULL", new { id }, tx) > 0)
        {
            throw new BillingException(409, "timer-running", "A timer is still running on this work; stop it first.");
        }

        await connection.ExecuteAsync("UPDATE sp_billing_estimates SET status = 'completed', updated_at_ms = @now WHERE id = @id",
            new { id, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        await tx.CommitAsync(ct);
        return (await GetAsync(id, ct))!;
    }

    public async Task<WorkTask> AssignAsync(string taskId, string? staffId, string? staffName, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var changed = await connection.ExecuteAsync("UPDATE sp_billing_tasks SET assignee_id = @staffId, assignee_name = @staffName WHERE id = @taskId",
            new { taskId, staffId, staffName });
        if (changed == 0)
        {
            throw new BillingException(404, "not-found", $"There is no task '{taskId}'.");
        }

        var estimateId = await connection.ExecuteScalarAsync<string>("SELECT estimate_id FROM sp_billing_tasks WHERE id = @taskId", new { taskId });
        return (await GetAsync(estimateId!, ct))!.Tasks.Single(t => t.Id == taskId);
    }

    public async Task<Estimate?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<EstimateRow>($"SELECT {EstimateColumns} FROM sp_billing_estimates WHERE id = @id", new { id });
        return row is null ? null : await LoadAsync(connection, row);
    }

    public async Task<IReadOnlyList<Estimate>> ListAsync(string? accountId, long? ticketId, bool sentOnly, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<EstimateRow>(
            $"""
            SELECT {EstimateColumns} FROM sp_billing_estimates
            WHERE (@accountId IS NULL OR account_id = @accountId) AND (@ticketId IS NULL OR ticket_id = @ticketId)
            ORDER BY created_at_ms DESC, id
            LIMIT 500
            """,
            new { accountId, ticketId });
        var list = new List<Estimate>();
        foreach (var row in rows)
        {
            var estimate = await LoadAsync(connection, row);
            if (!sentOnly || estimate.Versions.Count > 0)
            {
                list.Add(estimate);
            }
        }

        return list;
    }

    /// <summary>The estimate as a client sees it: only versions that were sent to them.</summary>
    public static Estimate ForClient(Estimate estimate)
    {
        var sent = estimate.Versions.Where(v => v.SentAt is not null).ToList();
        return estimate with
        {
            Versions = sent,
            Current = sent.Count > 0 ? sent[^1] : estimate.Current,
            CurrentVersion = sent.Count > 0 ? sent[^1].Version : 0,
            Status = estimate.Status == "draft" ? (estimate.ApprovedVersion is null ? "draft" : "approved") : estimate.Status,
        };
    }

    // ---- time ----

    public async Task<TimeEntry> LogTimeAsync(TimeEntryRequest request, Actor actor, CancellationToken ct)
    {
        var minutes = request.Minutes ?? 0;
        var note = request.Note?.Trim() ?? "";
        if (minutes is < 1 or > 24 * 60)
        {
            throw new BillingException(400, "invalid-time-entry", "minutes must be a whole number from 1 to 1440 (24 hours).");
        }

        if (note.Length is 0 or > 2000)
        {
            throw new BillingException(400, "invalid-time-entry", "Say what was done (note, 1 to 2000 characters): it appears on the invoice.");
        }

        var startedAt = request.StartedAt ?? clock.GetUtcNow().AddMinutes(-minutes);
        if (startedAt > clock.GetUtcNow().AddMinutes(5))
        {
            throw new BillingException(400, "invalid-time-entry", "startedAt is in the future; log time that was worked.");
        }

        return await AddEntryAsync(request.TaskId, request.EstimateId, actor, startedAt, minutes, note, ct);
    }

    public async Task<TimeEntry> StartTimerAsync(TimerStartRequest request, Actor actor, CancellationToken ct)
    {
        try
        {
            return await AddEntryAsync(request.TaskId, request.EstimateId, actor, clock.GetUtcNow(), null, request.Note?.Trim() ?? "", ct);
        }
        catch (Exception ex) when (database.IsUniqueViolation(ex))
        {
            throw new BillingException(409, "timer-running", "Your timer is already running on another task; stop it first.");
        }
    }

    public async Task<TimeEntry> StopTimerAsync(string? note, Actor actor, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var entry = await connection.QuerySingleOrDefaultAsync<EntryRow>(
            EntryQuery + " WHERE user_id = @userId AND minutes IS NULL", new { userId = actor.Id }, tx)
            ?? throw new BillingException(409, "no-timer", "You have no running timer.");
        var row = await LockAsync(connection, tx, entry.EstimateId);
        var elapsed = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(entry.StartedAtMs);
        var minutes = (int)Math.Clamp(Math.Ceiling(elapsed.TotalMinutes), 1, 24 * 60);
        var text = string.IsNullOrWhiteSpace(note) ? entry.Note : note.Trim();
        if (text.Length == 0)
        {
            throw new BillingException(400, "invalid-time-entry", "Say what was done (note): it appears on the invoice.");
        }

        // Time that was worked is recorded even past the budget; the warning says so and the next entry needs a change request.
        await connection.ExecuteAsync("UPDATE sp_billing_time_entries SET minutes = @minutes, note = @text WHERE id = @id", new { minutes, text, id = entry.Id }, tx);
        var warnings = await CheckBudgetAsync(connection, tx, row, 0);
        await tx.CommitAsync(ct);
        await NotifyAsync(warnings, ct);
        return ToEntry(entry) with { Minutes = minutes, Hours = BillingMath.Hours(minutes), Note = text, Running = false };
    }

    public async Task<TimeEntry?> RunningTimerAsync(string userId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var entry = await connection.QuerySingleOrDefaultAsync<EntryRow>(EntryQuery + " WHERE user_id = @userId AND minutes IS NULL", new { userId });
        return entry is null ? null : ToEntry(entry);
    }

    public async Task<IReadOnlyList<TimeEntry>> EntriesAsync(string estimateId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<EntryRow>(EntryQuery + " WHERE estimate_id = @estimateId ORDER BY started_at_ms, id", new { estimateId }))
            .Select(ToEntry).ToList();
    }

    private const string EntryQuery = """
        SELECT id AS Id, task_id AS TaskId, estimate_id AS EstimateId, account_id AS AccountId, user_id AS UserId, user_name AS UserName,
            started_at_ms AS StartedAtMs, minutes AS Minutes, note AS Note, invoice_id AS InvoiceId
        FROM sp_billing_time_entries
        """;

    private async Task<TimeEntry> AddEntryAsync(string? taskId, string? estimateId, Actor actor, DateTimeOffset startedAt, int? minutes, string note, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        if (estimateId is null)
        {
            estimateId = taskId is null ? null : await connection.ExecuteScalarAsync<string?>("SELECT estimate_id FROM sp_billing_tasks WHERE id = @taskId", new { taskId });
            if (estimateId is null)
            {
                throw new BillingException(404, "not-found", taskId is null ? "Name the task (taskId) the time is for." : $"There is no task '{taskId}'.");
            }
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await LockAsync(connection, tx, estimateId);
        if (row.ApprovedVersion is null)
        {
            throw new BillingException(409, "not-approved",
                $"Time cannot be logged on '{row.Title}' ({row.Id}): the client has not approved its estimate (status {row.Status}). Send the estimate and wait for the client's approval.");
        }

        if (row.Status == "completed")
        {
            throw new BillingException(409, "estimate-completed", $"'{row.Title}' ({row.Id}) is completed; time can no longer be logged on it.");
        }

        var tasks = (await connection.QueryAsync<TaskRow>(
            "SELECT id AS Id, position AS Position, title AS Title FROM sp_billing_tasks WHERE estimate_id = @estimateId ORDER BY position", new { estimateId }, tx)).ToList();
        var task = taskId is null ? tasks.FirstOrDefault() : tasks.FirstOrDefault(t => t.Id == taskId);
        if (task is null)
        {
            throw new BillingException(404, "not-found", $"Estimate '{estimateId}' has no task '{taskId}'.");
        }

        var (estimatedMinutes, loggedMinutes) = await BudgetAsync(connection, tx, estimateId);
        var adding = minutes ?? 0;
        if (loggedMinutes + adding > estimatedMinutes || (minutes is null && loggedMinutes >= estimatedMinutes))
        {
            throw new BillingException(409, "change-request-needed",
                $"'{row.Title}' has {BillingMath.Hours(loggedMinutes):0.##} h logged of {BillingMath.Hours((long)estimatedMinutes):0.##} h approved; going beyond needs a change request: revise the estimate with more hours and have the client approve it.");
        }

        var id = "te-" + Guid.NewGuid().ToString("N")[..12];
        await connection.ExecuteAsync(
            """
            INSERT INTO sp_billing_time_entries (id, task_id, estimate_id, account_id, user_id, user_name, started_at_ms, minutes, note, created_at_ms, invoice_id)
            VALUES (@id, @taskId, @estimateId, @accountId, @userId, @userName, @startedAt, @minutes, @note, @now, NULL)
            """,
            new
            {
                id, taskId = task.Id, estimateId, accountId = row.AccountId, userId = actor.Id, userName = actor.Name,
                startedAt = startedAt.ToUnixTimeMilliseconds(), minutes, note, now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            }, tx);
        var warnings = minutes is null ? [] : await CheckBudgetAsync(connection, tx, row, 0);
        await tx.CommitAsync(ct);
        await NotifyAsync(warnings, ct);
        return new TimeEntry(id, task.Id, estimateId, actor.Id, actor.Name, startedAt, minutes, minutes is null ? null : BillingMath.Hours(minutes.Value), note, null, minutes is null);
    }

    private static async Task<(decimal EstimatedMinutes, long LoggedMinutes)> BudgetAsync(DbConnection connection, DbTransaction tx, string estimateId)
    {
        var estimated = await connection.ExecuteScalarAsync<long?>("SELECT SUM(estimated_centihours) FROM sp_billing_tasks WHERE estimate_id = @estimateId", new { estimateId }, tx) ?? 0;
        var logged = await connection.ExecuteScalarAsync<long?>("SELECT SUM(minutes) FROM sp_billing_time_entries WHERE estimate_id = @estimateId", new { estimateId }, tx) ?? 0;
        return (estimated * 60m / 100m, logged);
    }

    private async Task<List<BudgetThresholdReached>> CheckBudgetAsync(DbConnection connection, DbTransaction tx, EstimateRow row, int extra)
    {
        var (estimated, logged) = await BudgetAsync(connection, tx, row.Id);
        logged += extra;
        var reached = new List<BudgetThresholdReached>();
        if (estimated <= 0)
        {
            return reached;
        }

        foreach (var percent in new[] { 80, 100 })
        {
            if (logged * 100m < estimated * percent)
            {
                continue;
            }

            var inserted = await connection.ExecuteAsync(
                "INSERT INTO sp_billing_budget_warnings (estimate_id, version, percent, at_ms) VALUES (@id, @v, @percent, @now) ON CONFLICT DO NOTHING",
                new { id = row.Id, v = row.ApprovedVersion, percent, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
            if (inserted > 0)
            {
                var assignees = (await connection.QueryAsync<string>(
                    "SELECT DISTINCT assignee_id FROM sp_billing_tasks WHERE estimate_id = @id AND assignee_id IS NOT NULL", new { id = row.Id }, tx)).ToList();
                reached.Add(new BudgetThresholdReached(row.Id, row.AccountId, row.TicketId, row.Title, percent, estimated / 60m, BillingMath.Hours(logged), assignees));
            }
        }

        return reached;
    }

    private async Task NotifyAsync(List<BudgetThresholdReached> reached, CancellationToken ct)
    {
        foreach (var warning in reached)
        {
            LogBudget(logger, warning.EstimateId, warning.Percent, warning.LoggedHours, warning.EstimatedHours);
            foreach (var observer in observers)
            {
                try
                {
                    await observer.OnBudgetThresholdAsync(warning, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogObserverFailed(logger, ex, warning.EstimateId);
                }
            }
        }
    }

    // ---- loading ----

    private async Task<Estimate> LoadAsync(DbConnection connection, EstimateRow row)
    {
        var versions = (await connection.QueryAsync<VersionRow>(
            "SELECT version AS Version, body AS Body, sent_at_ms AS SentAtMs FROM sp_billing_estimate_versions WHERE estimate_id = @id ORDER BY version",
            new { id = row.Id })).Select(v => JsonSerializer.Deserialize<EstimateVersion>(v.Body, Json)! with
            {
                SentAt = v.SentAtMs is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null,
            }).ToList();
        var approvals = (await connection.QueryAsync<ApprovalRow>(
            """
            SELECT version AS Version, decision AS Decision, user_id AS UserId, user_name AS UserName, via AS Via, ip AS Ip,
                user_agent AS UserAgent, reason AS Reason, at_ms AS AtMs
            FROM sp_billing_approvals WHERE estimate_id = @id ORDER BY version
            """, new { id = row.Id }))
            .Select(a => new Approval((int)a.Version, a.Decision, a.UserId, a.UserName, a.Via, a.Ip, a.UserAgent, a.Reason, DateTimeOffset.FromUnixTimeMilliseconds(a.AtMs)))
            .ToList();
        var tasks = (await connection.QueryAsync<TaskRow>(
            """
            SELECT t.id AS Id, t.estimate_id AS EstimateId, t.position AS Position, t.title AS Title, t.estimated_centihours AS EstimatedCentihours,
                t.rate_minor AS RateMinor, t.assignee_id AS AssigneeId, t.assignee_name AS AssigneeName,
                COALESCE((SELECT SUM(e.minutes) FROM sp_billing_time_entries e WHERE e.task_id = t.id), 0) AS LoggedMinutes
            FROM sp_billing_tasks t WHERE t.estimate_id = @id ORDER BY t.position
            """, new { id = row.Id }))
            .Select(t => new WorkTask(t.Id, t.EstimateId, (int)t.Position, t.Title, t.EstimatedCentihours / 100m, t.RateMinor / 100m, t.AssigneeId, t.AssigneeName, BillingMath.Hours(t.LoggedMinutes)))
            .ToList();
        var warnings = row.ApprovedVersion is null ? [] : (await connection.QueryAsync<long>(
            "SELECT percent FROM sp_billing_budget_warnings WHERE estimate_id = @id AND version = @v ORDER BY percent", new { id = row.Id, v = row.ApprovedVersion })).Select(p => (int)p).ToList();
        var estimated = tasks.Sum(t => t.EstimatedHours);
        var logged = tasks.Sum(t => t.LoggedHours);
        return new Estimate
        {
            Id = row.Id,
            AccountId = row.AccountId,
            TicketId = row.TicketId,
            Title = row.Title,
            ScopeReason = row.ScopeReason,
            ScopeRuleId = row.ScopeRuleId,
            Status = row.Status,
            CurrentVersion = (int)row.CurrentVersion,
            ApprovedVersion = (int?)row.ApprovedVersion,
            CreatedBy = row.CreatedBy,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAtMs),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAtMs),
            Current = versions.Single(v => v.Version == row.CurrentVersion),
            Versions = versions,
            Approvals = approvals,
            Tasks = tasks,
            Progress = new Progress(estimated, decimal.Round(logged, 2), estimated == 0 ? 0 : decimal.Round(logged * 100m / estimated, 1), warnings),
        };
    }

    private static TimeEntry ToEntry(EntryRow e) => new(
        e.Id, e.TaskId, e.EstimateId, e.UserId, e.UserName, DateTimeOffset.FromUnixTimeMilliseconds(e.StartedAtMs),
        (int?)e.Minutes, e.Minutes is { } m ? BillingMath.Hours(m) : null, e.Note, e.InvoiceId, e.Minutes is null);

    // ---- helpers ----

    private async Task SyncTasksAsync(DbConnection connection, DbTransaction tx, string estimateId, EstimateVersion version)
    {
        for (var i = 0; i < version.Lines.Count; i++)
        {
            var line = version.Lines[i];
            var centihours = (long)(line.Hours * 100m);
            var rateMinor = BillingMath.ToMinor(line.Rate);
            var updated = await connection.ExecuteAsync(
                "UPDATE sp_billing_tasks SET title = @title, estimated_centihours = @centihours, rate_minor = @rateMinor WHERE estimate_id = @estimateId AND position = @position",
                new { estimateId, position = i + 1, title = line.Task, centihours, rateMinor }, tx);
            if (updated == 0)
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO sp_billing_tasks (id, estimate_id, position, title, estimated_centihours, rate_minor, assignee_id, assignee_name)
                    VALUES (@id, @estimateId, @position, @title, @centihours, @rateMinor, NULL, NULL)
                    """,
                    new { id = "task-" + Guid.NewGuid().ToString("N")[..12], estimateId, position = i + 1, title = line.Task, centihours, rateMinor }, tx);
            }
        }

        // Lines a revision removed keep their task (and its logged time) with no hours left in the budget.
        await connection.ExecuteAsync("UPDATE sp_billing_tasks SET estimated_centihours = 0 WHERE estimate_id = @estimateId AND position > @count",
            new { estimateId, count = version.Lines.Count }, tx);
    }

    private EstimateVersion BuildVersion(int number, IReadOnlyList<EstimateLineRequest>? lines, IReadOnlyList<string>? assumptions, DateOnly? validUntil,
        AccountView account, Actor actor, List<string> problems)
    {
        var defaultRate = account.Contract.Phone.OverageRate.Currency == options.Currency ? account.Contract.Phone.OverageRate.Amount : (decimal?)null;
        var built = new List<EstimateLine>();
        if (lines is not { Count: > 0 and <= 100 })
        {
            problems.Add("An estimate needs 1 to 100 lines, each { task, hours, rate }.");
        }

        foreach (var (line, index) in (lines ?? []).Select((l, i) => (l, i + 1)))
        {
            var task = line?.Task?.Trim() ?? "";
            var rate = line?.Rate ?? defaultRate;
            if (task.Length is 0 or > 200)
            {
                problems.Add($"Line {index}: the task must be 1 to 200 characters.");
            }

            if (line?.Hours is not { } hours || hours <= 0 || hours > 10_000 || !BillingMath.HasAtMostPlaces(hours, 2))
            {
                problems.Add($"Line {index}: hours must be more than 0 and at most 10000, with at most two decimals (e.g. 2.5).");
                continue;
            }

            if (rate is not { } r || r < 0 || r > 100_000 || !BillingMath.HasAtMostPlaces(r, 2))
            {
                problems.Add(rate is null
                    ? $"Line {index}: give a rate; the contract's hourly rate is in {account.Contract.Phone.OverageRate.Currency}, not {options.Currency}."
                    : $"Line {index}: the rate must be 0 to 100000 with at most two decimals (e.g. 85.00).");
                continue;
            }

            built.Add(new EstimateLine(task, hours, r, BillingMath.LineAmount(hours, r)));
        }

        var notes = (assumptions ?? []).Select(a => a?.Trim() ?? "").Where(a => a.Length > 0).ToList();
        if (notes.Count > 50 || notes.Any(a => a.Length > 1000))
        {
            problems.Add("Assumptions: at most 50, each at most 1000 characters.");
        }

        if (validUntil is not { } until)
        {
            problems.Add("Give the date until which the estimate is valid (validUntil, e.g. \"2026-12-31\").");
            until = default;
        }
        else if (until < Today())
        {
            problems.Add($"validUntil {until:yyyy-MM-dd} is in the past.");
        }

        var (subtotal, tax, total) = BillingMath.Totals(built.Select(l => l.Amount), options.TaxRate);
        return new EstimateVersion
        {
            Version = number,
            Lines = built,
            Assumptions = notes,
            ValidUntil = until,
            Currency = options.Currency,
            TaxName = options.TaxName,
            TaxRate = options.TaxRate,
            Hours = built.Sum(l => l.Hours),
            Subtotal = subtotal,
            Tax = tax,
            Total = total,
            CreatedBy = actor.Id,
            CreatedAt = clock.GetUtcNow(),
        };
    }

    private static Task InsertVersionAsync(DbConnection connection, DbTransaction tx, string id, EstimateVersion version) =>
        connection.ExecuteAsync(
            """
            INSERT INTO sp_billing_estimate_versions (estimate_id, version, body, total_minor, currency, created_by, created_at_ms, sent_at_ms)
            VALUES (@id, @version, @body, @total, @currency, @by, @at, NULL)
            """,
            new
            {
                id, version = version.Version, body = JsonSerializer.Serialize(version, Json), total = BillingMath.ToMinor(version.Total),
                currency = version.Currency, by = version.CreatedBy, at = version.CreatedAt.ToUnixTimeMilliseconds(),
            }, tx);

    /// <summary>Touches the estimate's row first in a transaction: serialises every change of one estimate.</summary>
    private async Task<EstimateRow> LockAsync(DbConnection connection, DbTransaction tx, string id)
    {
        var touched = await connection.ExecuteAsync("UPDATE sp_billing_estimates SET updated_at_ms = updated_at_ms WHERE id = @id", new { id }, tx);
        if (touched == 0)
        {
            throw NotFound(id);
        }

        return await connection.QuerySingleAsync<EstimateRow>($"SELECT {EstimateColumns} FROM sp_billing_estimates WHERE id = @id", new { id }, tx);
    }

    internal async Task<AccountView> RequireAccountAsync(string accountId) =>
        (AccountKeys.IsValidId(accountId) ? await cluster.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId)).Get() : null)
        ?? throw new BillingException(404, "not-found", $"Account '{accountId}' does not exist.");

    internal static BillingException NotFound(string id) => new(404, "not-found", $"'{id}' does not exist or is not visible to you.");

    private DateOnly Today() => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    [LoggerMessage(Level = LogLevel.Information, Message = "Estimate {EstimateId} created for {AccountId}: {Total} {Currency}")]
    private static partial void LogCreated(ILogger logger, string estimateId, string accountId, decimal total, string currency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Estimate {EstimateId} version {Version} {Decision} by {UserId} via {Via}")]
    private static partial void LogDecided(ILogger logger, string estimateId, int version, string decision, string userId, string via);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Estimate {EstimateId} reached {Percent}% of its approved hours ({Logged} of {Estimated} h)")]
    private static partial void LogBudget(ILogger logger, string estimateId, int percent, decimal logged, decimal estimated);

    [LoggerMessage(Level = LogLevel.Error, Message = "A budget observer failed for estimate {EstimateId}")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string estimateId);
}
