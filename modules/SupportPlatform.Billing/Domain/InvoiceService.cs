using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Billing.Contracts;
using SupportPlatform.Billing.Persistence;
using SupportPlatform.Core.Plugins;
using SupportPlatform.Sdk.Billing;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Billing.Domain;

/// <summary>
/// Issues invoices and credit notes. An invoice takes the account's uninvoiced time entries (of chosen estimates, or of
/// a period) and its unbilled phone-overage lines, in one transaction that also takes the next number from a counter
/// row: a rolled-back issue gives its number back, and concurrent issues wait for each other on that row, so numbers
/// have no gaps and are never shared. An issued document is never updated; a credit note cancels an invoice in full
/// and frees its time and lines for a corrected invoice.
/// </summary>
internal sealed partial class InvoiceService(
    IDatabase database,
    EstimateService estimates,
    IBillableLines billableLines,
    BillingOptions options,
    TimeProvider clock,
    IServiceProvider services,
    Periods.BillingProfiles profiles,
    ILogger<InvoiceService> logger) : IAdditionalWorkSummary
{
    private const string InvoiceColumns = """
        i.id AS Id, i.kind AS Kind, i.number AS Number, i.account_id AS AccountId, i.credits_invoice_id AS CreditsInvoiceId, i.body AS Body,
        (SELECT c.number FROM sp_billing_invoices c WHERE c.credits_invoice_id = i.id) AS CreditedBy
        """;

    /// <summary>
    /// Invoices one month of an account (its billing period, in its time zone): the month's uninvoiced time entries and
    /// phone overage. The period is recorded in <c>sp_billing_period_runs</c> in the issuing transaction, so a period is
    /// invoiced at most once; a month with nothing to bill is recorded with no invoice and issues nothing.
    /// </summary>
    public async Task<(IssuedDocument? Invoice, bool Already)> IssuePeriodAsync(string accountId, DateOnly month, CancellationToken ct)
    {
        var period = month.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            var first = new DateOnly(month.Year, month.Month, 1);
            return (await IssueAsync(new InvoiceRequest(accountId, null, first, first.AddMonths(1).AddDays(-1)), ct, period), false);
        }
        catch (BillingException ex) when (ex.Code == "period-already-invoiced")
        {
            await using var connection = await database.OpenConnectionAsync(ct);
            var invoiceId = await connection.ExecuteScalarAsync<string?>(
                "SELECT invoice_id FROM sp_billing_period_runs WHERE account_id = @accountId AND period = @period", new { accountId, period });
            return (invoiceId is null ? null : await GetAsync(invoiceId, ct), true);
        }
        catch (BillingException ex) when (ex.Code == "nothing-to-invoice")
        {
            await using var connection = await database.OpenConnectionAsync(ct);
            var recorded = await connection.ExecuteAsync(
                "INSERT INTO sp_billing_period_runs (account_id, period, invoice_id, at_ms) VALUES (@accountId, @period, NULL, @now) ON CONFLICT DO NOTHING",
                new { accountId, period, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
            return (null, recorded == 0);
        }
    }

    /// <summary>The billing periods already run for an account, newest first: (period, invoice id or null, when).</summary>
    public async Task<IReadOnlyList<PeriodRun>> PeriodRunsAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Period, string? InvoiceId, long AtMs)>(
            "SELECT period, invoice_id, at_ms FROM sp_billing_period_runs WHERE account_id = @accountId ORDER BY period DESC", new { accountId });
        return rows.Select(r => new PeriodRun(r.Period, r.InvoiceId, DateTimeOffset.FromUnixTimeMilliseconds(r.AtMs))).ToList();
    }

    public Task<IssuedDocument> IssueAsync(InvoiceRequest request, CancellationToken ct) => IssueAsync(request, ct, null);

    private async Task<IssuedDocument> IssueAsync(InvoiceRequest request, CancellationToken ct, string? periodRun)
    {
        var accountId = request.AccountId?.Trim() ?? "";
        var account = await estimates.RequireAccountAsync(accountId);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(account.TimeZone);
        if (request.PeriodStart is { } ps && request.PeriodEnd is { } pe && pe < ps)
        {
            throw new BillingException(400, "invalid-period", "periodEnd is before periodStart.");
        }

        if ((request.PeriodStart is null) != (request.PeriodEnd is null))
        {
            throw new BillingException(400, "invalid-period", "Give both periodStart and periodEnd (dates, inclusive), or neither.");
        }

        if (request.EstimateIds is not { Count: > 0 } && request.PeriodStart is null)
        {
            throw new BillingException(400, "invalid-invoice", "Say what to invoice: estimateIds (completed work) or a period (periodStart and periodEnd).");
        }

        long? fromMs = request.PeriodStart is { } s ? LocalMidnight(zone, s).ToUnixTimeMilliseconds() : null;
        long? toMs = request.PeriodEnd is { } e ? LocalMidnight(zone, e.AddDays(1)).ToUnixTimeMilliseconds() : null;
        var ids = request.EstimateIds?.Distinct(StringComparer.Ordinal).ToList() ?? [];

        var phone = request.IncludePhoneOverage
            ? (await billableLines.ListAsync(accountId, unbilledOnly: true, ct))
                // A billing period takes the overage of the allowance period of the same name (both are the account's
                // local calendar month), so a call that ran past midnight at the month's end is billed with the month it counted in.
                .Where(l => periodRun is not null ? l.Period == periodRun
                    : fromMs is null || (l.CreatedAt.ToUnixTimeMilliseconds() >= fromMs && l.CreatedAt.ToUnixTimeMilliseconds() < toMs))
                .ToList()
            : [];
        if (phone.FirstOrDefault(l => l.Amount.Currency != options.Currency) is { } foreign)
        {
            throw new BillingException(409, "currency-mismatch",
                $"Phone overage line '{foreign.Id}' is in {foreign.Amount.Currency} but invoices are in {options.Currency}; invoice without phone overage (includePhoneOverage: false) or align the contract's overage rate.");
        }

        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // The counter row first: issues wait for each other here, before reading what is still uninvoiced.
        var seq = await connection.ExecuteScalarAsync<long>(
            "UPDATE sp_billing_counters SET last_value = last_value + 1 WHERE name = 'invoice' RETURNING last_value", transaction: tx);
        var id = "inv-" + Guid.NewGuid().ToString("N")[..12];
        if (periodRun is not null
            && await connection.ExecuteAsync(
                "INSERT INTO sp_billing_period_runs (account_id, period, invoice_id, at_ms) VALUES (@accountId, @periodRun, @id, @now) ON CONFLICT DO NOTHING",
                new { accountId, periodRun, id, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx) == 0)
        {
            throw new BillingException(409, "period-already-invoiced", $"The billing period {periodRun} of '{accountId}' has already been invoiced.");
        }

        if (ids.Count > 0)
        {
            var found = (await connection.QueryAsync<(string Id, string AccountId, string Status)>(
                $"SELECT id, account_id, status FROM sp_billing_estimates WHERE id {database.InList("ids")}", new { ids = ids.ToArray() }, tx)).ToList();
            foreach (var wanted in ids)
            {
                var estimate = found.FirstOrDefault(f => f.Id == wanted);
                if (estimate.Id is null || estimate.AccountId != accountId)
                {
                    throw new BillingException(404, "not-found", $"Account '{accountId}' has no estimate '{wanted}'.");
                }

                if (estimate.Status != "completed")
                {
                    throw new BillingException(409, "not-completed", $"Estimate '{wanted}' is {estimate.Status}; mark the work completed before invoicing it, or invoice a period.");
                }
            }
        }

        var entries = (await connection.QueryAsync<EntryRow>(
            $"""
            SELECT e.id AS Id, e.task_id AS TaskId, e.estimate_id AS EstimateId, e.user_name AS UserName, e.started_at_ms AS StartedAtMs,
                e.minutes AS Minutes, e.note AS Note
            FROM sp_billing_time_entries e
            WHERE e.account_id = @accountId AND e.invoice_id IS NULL AND e.minutes IS NOT NULL
              {(ids.Count > 0 ? "AND e.estimate_id " + database.InList("ids") : "")}
              {(fromMs is not null ? "AND e.started_at_ms >= @fromMs AND e.started_at_ms < @toMs" : "")}
            ORDER BY e.started_at_ms, e.id
            """, new { accountId, ids = ids.ToArray(), fromMs, toMs }, tx)).ToList();
        var taskIds = entries.Select(e => e.TaskId).Distinct().ToArray();
        var tasks = taskIds.Length == 0 ? [] : (await connection.QueryAsync<TaskRow>(
            $"""
            SELECT t.id AS Id, t.estimate_id AS EstimateId, t.position AS Position, t.title AS Title, t.rate_minor AS RateMinor
            FROM sp_billing_tasks t WHERE t.id {database.InList("taskIds")}
            """, new { taskIds }, tx)).ToDictionary(t => t.Id);
        var titles = (await connection.QueryAsync<(string Id, string Title, long? TicketId)>(
            $"SELECT id, title, ticket_id FROM sp_billing_estimates WHERE id {database.InList("eids")}",
            new { eids = entries.Select(e => e.EstimateId).Distinct().ToArray() }, tx)).ToDictionary(t => t.Id);

        var lines = new List<BillingLine>();
        foreach (var group in entries.GroupBy(e => e.TaskId).OrderBy(g => tasks[g.Key].EstimateId, StringComparer.Ordinal).ThenBy(g => tasks[g.Key].Position))
        {
            var task = tasks[group.Key];
            var estimate = titles[task.EstimateId];
            var minutes = group.Sum(e => e.Minutes!.Value);
            var rate = task.RateMinor / 100m;
            lines.Add(new BillingLine(
                "work",
                $"{estimate.Title}: {task.Title}",
                BillingMath.Hours(minutes),
                rate,
                BillingMath.MinutesAmount(minutes, rate),
                estimate.TicketId is { } t ? $"{task.EstimateId} (ticket #{t})" : task.EstimateId,
                group.Select(e => new BillingTimeEntry(
                    DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(e.StartedAtMs), zone).DateTime),
                    e.UserName, (int)e.Minutes!.Value, e.Note)).ToList()));
        }

        foreach (var line in phone)
        {
            var taken = await connection.ExecuteAsync(
                "INSERT INTO sp_billing_invoice_sources (source, invoice_id) VALUES (@source, @id) ON CONFLICT DO NOTHING",
                new { source = "phone:" + line.Id, id }, tx);
            if (taken == 0)
            {
                continue; // Billed by an earlier invoice (the accounts module still lists it as unbilled).
            }

            lines.Add(new BillingLine("phone-overage", line.Description.Length > 0 ? line.Description : $"Phone support beyond the allowance ({line.Period})",
                line.Minutes / 60m, line.Rate.Amount, line.Amount.Amount, line.TicketId is { } t ? $"ticket #{t}" : line.Period, []));
        }

        if (lines.Count == 0)
        {
            throw new BillingException(409, "nothing-to-invoice", $"Account '{accountId}' has no uninvoiced time or phone overage for this selection.");
        }

        if (entries.Count > 0)
        {
            var claimed = await connection.ExecuteAsync(
                $"UPDATE sp_billing_time_entries SET invoice_id = @id WHERE invoice_id IS NULL AND id {database.InList("entryIds")}",
                new { id, entryIds = entries.Select(e => e.Id).ToArray() }, tx);
            if (claimed != entries.Count)
            {
                throw new BillingException(409, "concurrent-invoice", "Another invoice took some of this time meanwhile; try again.");
            }
        }

        var (subtotal, tax, total) = BillingMath.Totals(lines.Select(l => l.Amount), options.TaxRate);
        var buyer = await profiles.BuyerAsync(account, ct);
        var now = clock.GetUtcNow();
        var document = new BillingDocument
        {
            Id = id,
            Kind = BillingDocumentKind.Invoice,
            Number = $"INV-{seq:000000}",
            IssuedAt = now,
            DueDate = DateOnly.FromDateTime(now.UtcDateTime).AddDays(options.PaymentTermsDays),
            PeriodStart = request.PeriodStart,
            PeriodEnd = request.PeriodEnd,
            Seller = options.Seller,
            Buyer = buyer,
            Currency = options.Currency,
            Lines = lines,
            Subtotal = subtotal,
            TaxName = options.TaxName,
            TaxRate = options.TaxRate,
            Tax = tax,
            Total = total,
        };
        await InsertAsync(connection, tx, document, accountId, seq, null);
        await tx.CommitAsync(ct);
        LogIssued(logger, document.Number, accountId, total, document.Currency);
        return (await GetAsync(id, ct))!;
    }

    public async Task<IssuedDocument> CreditAsync(string invoiceId, string? reason, CancellationToken ct)
    {
        var text = reason?.Trim() ?? "";
        if (text.Length is 0 or > 1000)
        {
            throw new BillingException(400, "invalid-credit-note", "Say why the invoice is credited (reason, 1 to 1000 characters).");
        }

        var original = await GetAsync(invoiceId, ct) ?? throw EstimateService.NotFound(invoiceId);
        if (original.Document.Kind != BillingDocumentKind.Invoice)
        {
            throw new BillingException(409, "not-an-invoice", $"{original.Document.Number} is a credit note; only invoices can be credited.");
        }

        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var seq = await connection.ExecuteScalarAsync<long>(
            "UPDATE sp_billing_counters SET last_value = last_value + 1 WHERE name = 'credit-note' RETURNING last_value", transaction: tx);
        var id = "cn-" + Guid.NewGuid().ToString("N")[..12];
        var now = clock.GetUtcNow();
        var document = original.Document with
        {
            Id = id,
            Kind = BillingDocumentKind.CreditNote,
            Number = $"CN-{seq:000000}",
            IssuedAt = now,
            DueDate = DateOnly.FromDateTime(now.UtcDateTime),
            CreditsNumber = original.Document.Number,
            Reason = text,
        };
        try
        {
            await InsertAsync(connection, tx, document, original.AccountId, seq, invoiceId);
        }
        catch (Exception ex) when (database.IsUniqueViolation(ex))
        {
            throw new BillingException(409, "already-credited", $"{original.Document.Number} is already credited.");
        }

        // The credited time and phone lines may be invoiced again, correctly.
        await connection.ExecuteAsync("UPDATE sp_billing_time_entries SET invoice_id = NULL WHERE invoice_id = @invoiceId", new { invoiceId }, tx);
        await connection.ExecuteAsync("DELETE FROM sp_billing_invoice_sources WHERE invoice_id = @invoiceId", new { invoiceId }, tx);
        await tx.CommitAsync(ct);
        LogIssued(logger, document.Number, original.AccountId, -document.Total, document.Currency);
        return (await GetAsync(id, ct))!;
    }

    public async Task<IssuedDocument?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<InvoiceRow>($"SELECT {InvoiceColumns} FROM sp_billing_invoices i WHERE i.id = @id OR i.number = @id", new { id });
        return row is null ? null : await LoadAsync(connection, row);
    }

    public async Task<IReadOnlyList<IssuedDocument>> ListAsync(string? accountId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<InvoiceRow>(
            $"SELECT {InvoiceColumns} FROM sp_billing_invoices i WHERE (@accountId IS NULL OR i.account_id = @accountId) ORDER BY i.issued_at_ms DESC, i.number DESC LIMIT 500",
            new { accountId });
        var list = new List<IssuedDocument>();
        foreach (var row in rows)
        {
            list.Add(await LoadAsync(connection, row));
        }

        return list;
    }

    public async Task<AdditionalWorkSummary> GetAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var p = new { accountId, from = from.ToUnixTimeMilliseconds(), to = to.ToUnixTimeMilliseconds() };
        var sent = await connection.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM sp_billing_estimate_versions v JOIN sp_billing_estimates e ON e.id = v.estimate_id
            WHERE e.account_id = @accountId AND v.sent_at_ms >= @from AND v.sent_at_ms < @to
            """, p);
        var decisions = (await connection.QueryAsync<(string Decision, long Count, long? Total)>(
            """
            SELECT a.decision, COUNT(*), SUM(v.total_minor) FROM sp_billing_approvals a
            JOIN sp_billing_estimates e ON e.id = a.estimate_id
            JOIN sp_billing_estimate_versions v ON v.estimate_id = a.estimate_id AND v.version = a.version
            WHERE e.account_id = @accountId AND a.at_ms >= @from AND a.at_ms < @to
            GROUP BY a.decision
            """, p)).ToList();
        var minutes = await connection.ExecuteScalarAsync<long?>(
            "SELECT SUM(minutes) FROM sp_billing_time_entries WHERE account_id = @accountId AND started_at_ms >= @from AND started_at_ms < @to", p) ?? 0;
        var invoiced = await connection.ExecuteScalarAsync<long?>(
            """
            SELECT SUM(CASE WHEN kind = 'invoice' THEN total_minor ELSE -total_minor END) FROM sp_billing_invoices
            WHERE account_id = @accountId AND issued_at_ms >= @from AND issued_at_ms < @to
            """, p) ?? 0;
        var approved = decisions.FirstOrDefault(d => d.Decision == "approved");
        return new AdditionalWorkSummary(accountId, from, to, (int)sent, (int)approved.Count,
            (int)decisions.FirstOrDefault(d => d.Decision == "declined").Count, (approved.Total ?? 0) / 100m,
            decimal.Round(BillingMath.Hours(minutes), 2), invoiced / 100m, options.Currency);
    }

    private async Task InsertAsync(DbConnection connection, DbTransaction tx, BillingDocument document, string accountId, long seq, string? credits)
    {
        await connection.ExecuteAsync(
            """
            INSERT INTO sp_billing_invoices (id, kind, seq, number, account_id, credits_invoice_id, issued_at_ms, currency, total_minor, body)
            VALUES (@id, @kind, @seq, @number, @accountId, @credits, @at, @currency, @total, @body)
            """,
            new
            {
                id = document.Id, kind = document.Kind == BillingDocumentKind.Invoice ? "invoice" : "credit-note", seq, number = document.Number, accountId, credits,
                at = document.IssuedAt.ToUnixTimeMilliseconds(), currency = document.Currency, total = BillingMath.ToMinor(document.Total),
                body = JsonSerializer.Serialize(document, EstimateService.Json),
            }, tx);

        // One export per loaded billing adapter, stored with the document: the exporter picks them up after the commit.
        var exporters = services.GetService(typeof(IPluginCapabilities)) is IPluginCapabilities capabilities ? capabilities.Get<IBillingExporter>() : [];
        foreach (var exporter in exporters.Select(e => e.PluginId).Distinct(StringComparer.Ordinal))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO sp_billing_exports (invoice_id, plugin_id, status, attempts, last_error, reference, next_attempt_at_ms, updated_at_ms)
                VALUES (@id, @exporter, 'pending', 0, NULL, NULL, @now, @now)
                """,
                new { id = document.Id, exporter, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        }
    }

    private static async Task<IssuedDocument> LoadAsync(DbConnection connection, InvoiceRow row)
    {
        var exports = (await connection.QueryAsync<ExportRow>(
            """
            SELECT plugin_id AS PluginId, status AS Status, attempts AS Attempts, last_error AS LastError, reference AS Reference,
                next_attempt_at_ms AS NextAttemptAtMs, updated_at_ms AS UpdatedAtMs
            FROM sp_billing_exports WHERE invoice_id = @id ORDER BY plugin_id
            """, new { id = row.Id }))
            .Select(e => new ExportStatus(e.PluginId, e.Status, (int)e.Attempts, e.LastError, e.Reference,
                DateTimeOffset.FromUnixTimeMilliseconds(e.NextAttemptAtMs), DateTimeOffset.FromUnixTimeMilliseconds(e.UpdatedAtMs)))
            .ToList();
        return new IssuedDocument(JsonSerializer.Deserialize<BillingDocument>(row.Body, EstimateService.Json)!, row.AccountId, row.CreditedBy, exports);
    }

    internal static DateTimeOffset LocalMidnight(TimeZoneInfo zone, DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        return new DateTimeOffset(local, zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Issued {Number} to {AccountId}: {Total} {Currency}")]
    private static partial void LogIssued(ILogger logger, string number, string accountId, decimal total, string currency);
}
