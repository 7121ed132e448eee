using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Accounts.Grains;

/// <summary>
/// The phone allowance's counters: one row per account and billing period, one per counted usage (the idempotency
/// record), billable lines for overage. Only the account's grain writes them, one usage at a time, so the counters
/// are exact; every usage is one transaction with its period, line and threshold notices.
/// </summary>
internal sealed class AllowanceStore(IDatabase database, IEnumerable<IAllowanceObserver> observers, ILogger<AllowanceStore> logger)
    : IBillableLines, IAccountPhoneDirectory
{
    private readonly IAllowanceObserver[] observers = [.. observers];

    public async Task<UsageResult> RecordAsync(AccountView account, RecordUsage usage, DateTimeOffset now)
    {
        var terms = account.Contract.Phone;
        var (label, start, end) = BillingPeriods.For(account.TimeZone, usage.StartedAt);
        var reached = new List<AllowanceThresholdReached>();
        UsageResult result;
        await using (var connection = await database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var existing = await connection.QuerySingleOrDefaultAsync<UsageRow>(
                "SELECT period AS Period, counted_minutes AS CountedMinutes, overage_minutes AS OverageMinutes FROM sp_allowance_usage WHERE account_id = @account AND usage_id = @usage",
                new { account = account.Id, usage = usage.UsageId }, transaction);
            if (existing is not null)
            {
                var period = await LoadPeriodAsync(connection, transaction, account.Id, existing.Period);
                return new UsageResult(true, existing.CountedMinutes, existing.OverageMinutes, Balance(period!, now));
            }

            var row = await LoadPeriodAsync(connection, transaction, account.Id, label) ?? new PeriodRow
            {
                AccountId = account.Id,
                Period = label,
                StartsAtMs = start.ToUnixTimeMilliseconds(),
                EndsAtMs = end.ToUnixTimeMilliseconds(),
                TimeZone = account.TimeZone,
                Currency = terms.OverageRate.Currency,
                IsNew = true,
            };

            var counts = usage.Kind == UsageKind.Phone || terms.Counts == CountedSupport.PhoneAndRemote;
            var counted = counts ? terms.RoundedMinutes(usage.Duration) : 0;
            var allowance = (int)terms.MonthlyAllowance.TotalMinutes;
            var before = row.UsedMinutes;
            var after = before + counted;
            var overage = Math.Max(0, after - Math.Max(before, allowance));
            row.AllowanceMinutes = allowance;
            row.UsedMinutes = after;
            row.OverageMinutes += overage;

            var rateMinor = ToMinor(terms.OverageRate.Amount);
            var amountMinor = (long)Math.Round(terms.OverageRate.Amount * overage / 60m * 100m, MidpointRounding.AwayFromZero);
            row.OverageAmountMinor += amountMinor;
            if (overage > 0 && !row.IsNew && row.Currency != terms.OverageRate.Currency)
            {
                throw new AccountRuleException([$"The overage rate's currency changed from {row.Currency} to {terms.OverageRate.Currency} within period {label}; change it at a period boundary."]);
            }

            var nowMs = now.ToUnixTimeMilliseconds();
            if (allowance > 0)
            {
                if (after >= allowance && row.Notified100AtMs is null)
                {
                    row.Notified100AtMs = nowMs;
                    row.Notified80AtMs ??= nowMs;
                    reached.Add(new AllowanceThresholdReached(account.Id, account.Name, 100, Balance(row, now)));
                }
                else if (after * 5L >= allowance * 4L && row.Notified80AtMs is null)
                {
                    row.Notified80AtMs = nowMs;
                    reached.Add(new AllowanceThresholdReached(account.Id, account.Name, 80, Balance(row, now)));
                }
            }

            await connection.ExecuteAsync(
                """
                INSERT INTO sp_allowance_usage (account_id, usage_id, kind, period, started_at_ms, duration_ms, counted_minutes, overage_minutes, ticket_id, description, recorded_at_ms)
                VALUES (@account, @usage, @kind, @period, @started, @duration, @counted, @overage, @ticket, @description, @now)
                """,
                new
                {
                    account = account.Id, usage = usage.UsageId, kind = usage.Kind == UsageKind.Phone ? "phone" : "remote-session", period = label,
                    started = usage.StartedAt.ToUnixTimeMilliseconds(), duration = (long)usage.Duration.TotalMilliseconds, counted, overage,
                    ticket = usage.TicketId, description = usage.Description, now = nowMs,
                },
                transaction);

            await connection.ExecuteAsync(
                row.IsNew
                    ? """
                      INSERT INTO sp_allowance_periods (account_id, period, starts_at_ms, ends_at_ms, time_zone, allowance_minutes, used_minutes, overage_minutes, overage_amount_minor, currency, notified_80_at_ms, notified_100_at_ms)
                      VALUES (@AccountId, @Period, @StartsAtMs, @EndsAtMs, @TimeZone, @AllowanceMinutes, @UsedMinutes, @OverageMinutes, @OverageAmountMinor, @Currency, @Notified80AtMs, @Notified100AtMs)
                      """
                    : """
                      UPDATE sp_allowance_periods SET allowance_minutes = @AllowanceMinutes, used_minutes = @UsedMinutes, overage_minutes = @OverageMinutes,
                        overage_amount_minor = @OverageAmountMinor, notified_80_at_ms = @Notified80AtMs, notified_100_at_ms = @Notified100AtMs
                      WHERE account_id = @AccountId AND period = @Period
                      """,
                row,
                transaction);

            if (overage > 0)
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO sp_billable_lines (id, account_id, period, source, usage_id, ticket_id, minutes, rate_minor, amount_minor, currency, description, created_at_ms, status)
                    VALUES (@id, @account, @period, 'phone-overage', @usage, @ticket, @minutes, @rate, @amount, @currency, @description, @now, 'unbilled')
                    """,
                    new
                    {
                        id = $"{account.Id}/{usage.UsageId}", account = account.Id, period = label, usage = usage.UsageId, ticket = usage.TicketId,
                        minutes = overage, rate = rateMinor, amount = amountMinor, currency = terms.OverageRate.Currency,
                        description = string.IsNullOrWhiteSpace(usage.Description) ? "Phone support beyond the monthly allowance" : usage.Description,
                        now = nowMs,
                    },
                    transaction);
            }

            foreach (var threshold in reached)
            {
                foreach (var observer in observers)
                {
                    await observer.OnThresholdReachedAsync(threshold, transaction, CancellationToken.None);
                }
            }

            await transaction.CommitAsync();
            row.IsNew = false;
            result = new UsageResult(false, counted, overage, Balance(row, now));
        }

        foreach (var threshold in reached)
        {
            foreach (var observer in observers)
            {
                try
                {
                    await observer.OnThresholdCommittedAsync(threshold, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    logger.LogWarning(ex, "Allowance observer {Observer} failed after {Percent}% of {Account}", observer.GetType().Name, threshold.Percent, threshold.AccountId);
                }
            }
        }

        return result;
    }

    public async Task<AllowanceBalance?> BalanceAsync(string accountId, string period, DateTimeOffset now)
    {
        await using var connection = await database.OpenConnectionAsync();
        var row = await LoadPeriodAsync(connection, null, accountId, period);
        return row is null ? null : Balance(row, now);
    }

    public async Task<IReadOnlyList<AllowanceBalance>> PeriodsAsync(string accountId, DateTimeOffset now)
    {
        await using var connection = await database.OpenConnectionAsync();
        var rows = await connection.QueryAsync<PeriodRow>(PeriodSelect + " WHERE account_id = @accountId ORDER BY starts_at_ms DESC", new { accountId });
        return [.. rows.Select(r => Balance(r, now))];
    }

    public async Task<IReadOnlyList<BillableLine>> ListAsync(string? accountId, bool unbilledOnly, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<LineRow>(new CommandDefinition(
            """
            SELECT id AS Id, account_id AS AccountId, period AS Period, source AS Source, usage_id AS UsageId, ticket_id AS TicketId, minutes AS Minutes,
                   rate_minor AS RateMinor, amount_minor AS AmountMinor, currency AS Currency, description AS Description, created_at_ms AS CreatedAtMs, status AS Status
            FROM sp_billable_lines
            WHERE (@accountId IS NULL OR account_id = @accountId) AND (@unbilledOnly = 0 OR status = 'unbilled')
            ORDER BY created_at_ms, id
            """,
            new { accountId, unbilledOnly = unbilledOnly ? 1 : 0 },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new BillableLine(
            r.Id, r.AccountId, r.Period, r.Source, r.UsageId, r.TicketId, r.Minutes, new Money(r.RateMinor / 100m, r.Currency),
            new Money(r.AmountMinor / 100m, r.Currency), r.Description, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAtMs), r.Status))];
    }

    public async Task<IReadOnlyList<PhoneNumberOwner>> FindAsync(string number, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string AccountId, string? ContactId, string Kind)>(new CommandDefinition(
            "SELECT account_id, contact_id, kind FROM sp_account_numbers WHERE number = @number ORDER BY kind DESC, account_id",
            new { number },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new PhoneNumberOwner(r.AccountId, r.ContactId, r.Kind == "support"))];
    }

    /// <summary>Rewrites the account's phone numbers inside its save; a support number of another account is refused.</summary>
    public static async Task WriteNumbersAsync(DbTransaction transaction, AccountView account)
    {
        var connection = transaction.Connection!;
        var phone = account.Contract.Phone;
        foreach (var number in phone.SupportNumbers)
        {
            var owner = await connection.QuerySingleOrDefaultAsync<string>(
                "SELECT account_id FROM sp_account_numbers WHERE kind = 'support' AND number = @number AND account_id <> @id",
                new { number, id = account.Id }, transaction);
            if (owner is not null)
            {
                throw new AccountRuleException([$"The support number {number} already belongs to account '{owner}'; a dedicated number serves one account."]);
            }
        }

        await connection.ExecuteAsync("DELETE FROM sp_account_numbers WHERE account_id = @id", new { id = account.Id }, transaction);
        var rows = phone.SupportNumbers.Select(n => new { number = n, id = account.Id, kind = "support", contact = (string?)null })
            .Concat(phone.Callers.Select(c => new { number = c.Number, id = account.Id, kind = "caller", contact = c.ContactId }));
        foreach (var row in rows)
        {
            await connection.ExecuteAsync(
                "INSERT INTO sp_account_numbers (number, account_id, kind, contact_id) VALUES (@number, @id, @kind, @contact)", row, transaction);
        }
    }

    private const string PeriodSelect = """
        SELECT account_id AS AccountId, period AS Period, starts_at_ms AS StartsAtMs, ends_at_ms AS EndsAtMs, time_zone AS TimeZone,
               allowance_minutes AS AllowanceMinutes, used_minutes AS UsedMinutes, overage_minutes AS OverageMinutes,
               overage_amount_minor AS OverageAmountMinor, currency AS Currency, notified_80_at_ms AS Notified80AtMs, notified_100_at_ms AS Notified100AtMs
        FROM sp_allowance_periods
        """;

    private static Task<PeriodRow?> LoadPeriodAsync(DbConnection connection, DbTransaction? transaction, string accountId, string period) =>
        connection.QuerySingleOrDefaultAsync<PeriodRow>(PeriodSelect + " WHERE account_id = @accountId AND period = @period", new { accountId, period }, transaction);

    private static long ToMinor(decimal amount) => (long)Math.Round(amount * 100m, MidpointRounding.AwayFromZero);

    private static AllowanceBalance Balance(PeriodRow row, DateTimeOffset now) => new()
    {
        AccountId = row.AccountId,
        Period = row.Period,
        StartsAt = DateTimeOffset.FromUnixTimeMilliseconds(row.StartsAtMs),
        EndsAt = DateTimeOffset.FromUnixTimeMilliseconds(row.EndsAtMs),
        TimeZone = row.TimeZone,
        AllowanceMinutes = row.AllowanceMinutes,
        UsedMinutes = row.UsedMinutes,
        RemainingMinutes = Math.Max(0, row.AllowanceMinutes - row.UsedMinutes),
        OverageMinutes = row.OverageMinutes,
        OverageAmount = new Money(row.OverageAmountMinor / 100m, row.Currency),
        UsedShare = row.AllowanceMinutes == 0 ? 0 : Math.Round((double)row.UsedMinutes / row.AllowanceMinutes, 4),
        Closed = now.ToUnixTimeMilliseconds() >= row.EndsAtMs,
    };

    /// <summary>An empty period of an account (before any usage) as a balance.</summary>
    public static AllowanceBalance Empty(AccountView account, DateTimeOffset at, DateTimeOffset now)
    {
        var (label, start, end) = BillingPeriods.For(account.TimeZone, at);
        return Balance(new PeriodRow
        {
            AccountId = account.Id,
            Period = label,
            StartsAtMs = start.ToUnixTimeMilliseconds(),
            EndsAtMs = end.ToUnixTimeMilliseconds(),
            TimeZone = account.TimeZone,
            AllowanceMinutes = (int)account.Contract.Phone.MonthlyAllowance.TotalMinutes,
            Currency = account.Contract.Phone.OverageRate.Currency,
        }, now);
    }

    private sealed class UsageRow
    {
        public string Period { get; set; } = "";
        public int CountedMinutes { get; set; }
        public int OverageMinutes { get; set; }
    }

    private sealed class PeriodRow
    {
        public string AccountId { get; set; } = "";
        public string Period { get; set; } = "";
        public long StartsAtMs { get; set; }
        public long EndsAtMs { get; set; }
        public string TimeZone { get; set; } = "";
        public int AllowanceMinutes { get; set; }
        public int UsedMinutes { get; set; }
        public int OverageMinutes { get; set; }
        public long OverageAmountMinor { get; set; }
        public string Currency { get; set; } = "";
        public long? Notified80AtMs { get; set; }
        public long? Notified100AtMs { get; set; }
        public bool IsNew { get; set; }
    }

    private sealed class LineRow
    {
        public string Id { get; set; } = "";
        public string AccountId { get; set; } = "";
        public string Period { get; set; } = "";
        public string Source { get; set; } = "";
        public string UsageId { get; set; } = "";
        public long? TicketId { get; set; }
        public int Minutes { get; set; }
        public long RateMinor { get; set; }
        public long AmountMinor { get; set; }
        public string Currency { get; set; } = "";
        public string Description { get; set; } = "";
        public long CreatedAtMs { get; set; }
        public string Status { get; set; } = "";
    }
}
