using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Billing.Contracts;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Billing.Periods;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Storage.Contracts;
using static SupportPlatform.Billing.Tests.BillingFixture;

namespace SupportPlatform.Billing.Tests;

/// <summary>
/// Monthly invoicing on the account's period end, on the scheduling module's durable deadlines and the fake clock. On a
/// host of its own per back-end whose clock starts two hours before the end of the month in New York, so that the
/// test moves the clock by minutes, not weeks (a jump of weeks starves the PostgreSQL host of connections; see
/// <see cref="ApprovalExpiryTests"/>).
/// </summary>
public abstract class BillingPeriodTests(BillingFixture host)
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    /// <summary>Two hours before the end of the current month in New York (or of the next one, if that is too close).</summary>
    public static DateTimeOffset NearMonthEnd()
    {
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Zone);
        var month = new DateOnly(local.Year, local.Month, 1);
        var start = BillingPeriodGrain.PeriodEnd(Zone, month) - TimeSpan.FromHours(2);
        return start > DateTimeOffset.UtcNow.AddMinutes(10) ? start : BillingPeriodGrain.PeriodEnd(Zone, month.AddMonths(1)) - TimeSpan.FromHours(2);
    }

    [Fact]
    public async Task MonthlyPeriod_InvoicedAtLocalPeriodEnd_Once_EmptyPeriodIssuesNothing_BuyerAddressOnInvoice()
    {
        var staff = host.Staff;

        // New York; a 6-minute phone allowance that remote sessions count against.
        var account = await Json(await staff.GetAsync("/api/accounts/acme"), 200);
        account["contract"]!["phone"]!["counts"] = "phone-and-remote";
        account["contract"]!["phone"]!["monthlyAllowance"] = "00:06:00";
        (await staff.PutAsJsonAsync("/api/accounts/acme", new { name = "Acme Corp", timeZone = "America/New_York", contract = account["contract"] })).EnsureSuccessStatusCode();

        // Bad details are refused, naming each wrong field.
        var problem = await Json(await staff.PutAsJsonAsync("/api/billing/accounts/acme/billing-profile", new { countryCode = "USA", vatId = "?", billingPeriod = "weekly" }), 400);
        Assert.Equal("invalid-billing-profile", (string)problem["code"]!);
        foreach (var field in new[] { "countryCode is 'USA'", "vatId is '?'", "billingPeriod is 'weekly'" })
        {
            Assert.Contains(field, (string)problem["detail"]!, StringComparison.Ordinal);
        }

        var profile = await Json(await staff.PutAsJsonAsync("/api/billing/accounts/acme/billing-profile", new
        {
            street = "1 Main Street", city = "Springfield", postalCode = "12345", countryCode = "us", vatId = "us 987 654 321", billingPeriod = "monthly",
        }), 200);
        Assert.Equal(("US", "US987654321", "monthly"), ((string)profile["countryCode"]!, (string)profile["vatId"]!, (string)profile["billingPeriod"]!));

        // Time on approved work this month (in New York), not invoiced by hand.
        var (_, taskId) = await host.ApprovedEstimateAsync(("Move mailboxes", 4m));
        await Json(await staff.PostAsJsonAsync("/api/billing/time-entries", new { taskId, minutes = 90, note = "Moved the first mailboxes" }), 201);
        (await staff.PostAsJsonAsync("/api/accounts/acme/usage", new
        {
            usageId = "rs-period", kind = "remote-session", startedAt = host.Clock.GetUtcNow().AddMinutes(-30), minutes = 18,
        })).EnsureSuccessStatusCode(); // 12 minutes beyond the allowance

        var local = TimeZoneInfo.ConvertTime(host.Clock.GetUtcNow(), Zone);
        var month = new DateOnly(local.Year, local.Month, 1);
        var period = Period(month);
        var due = BillingPeriodGrain.PeriodEnd(Zone, month);
        Assert.Equal(TimeSpan.Zero, TimeZoneInfo.ConvertTime(due, Zone).TimeOfDay); // local midnight after the month's last day
        var invoices = host.Factory.Services.GetRequiredService<InvoiceService>();

        // Nothing before the period's end...
        host.Clock.Advance(due - host.Clock.GetUtcNow() - TimeSpan.FromMinutes(10));
        await Task.Delay(500);
        Assert.Empty(await invoices.PeriodRunsAsync("acme", CancellationToken.None));

        // ...then the month's invoice, once.
        var run = await WaitForRunAsync(invoices, period);
        Assert.True(host.Clock.GetUtcNow() >= due);
        var invoice = (await invoices.GetAsync(run.InvoiceId!, CancellationToken.None))!.Document;
        Assert.Equal((month, month.AddMonths(1).AddDays(-1)), (invoice.PeriodStart, invoice.PeriodEnd));
        // 1.5 h × 85 = 127.50 of work; 0.2 h × 85 = 17.00 of phone overage; VAT 10% of 144.50.
        Assert.Equal((127.50m, 17.00m), (invoice.Lines.Single(l => l.Kind == "work").Amount, invoice.Lines.Single(l => l.Kind == "phone-overage").Amount));
        Assert.Equal((144.50m, 14.45m, 158.95m), (invoice.Subtotal, invoice.Tax, invoice.Total));
        Assert.Equal("Moved the first mailboxes", Assert.Single(invoice.Lines.Single(l => l.Kind == "work").Entries).Note);
        Assert.Equal(("US", "US987654321", "1 Main Street", "Springfield", "12345"),
            (invoice.Buyer.CountryCode, invoice.Buyer.VatId, invoice.Buyer.Street, invoice.Buyer.City, invoice.Buyer.PostalCode));

        // The next month's end becomes the next deadline (scheduled once the invoice is committed).
        var next = month.AddMonths(1);
        var expected = (BillingPeriodGrain.PeriodEnd(Zone, next).ToUnixTimeMilliseconds(), Period(next));
        var until = DateTime.UtcNow.AddSeconds(10);
        while (await DeadlineAsync() != expected && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.Equal(expected, await DeadlineAsync());

        // A second delivery of the same period (as after a crash before the deadline's row was deleted) issues nothing more.
        var grain = host.Factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IBillingPeriodGrain>("bp-acme");
        await grain.OnDeadline(new DeadlineFired("billing/acme/period", BillingPeriodGrain.Kind, period, due, host.Clock.GetUtcNow(), 2));
        Assert.Equal(run.InvoiceId, (await invoices.PeriodRunsAsync("acme", CancellationToken.None)).Single(r => r.Period == period).InvoiceId);
        Assert.Single(await invoices.ListAsync("acme", CancellationToken.None));
        var again = await invoices.IssuePeriodAsync("acme", month, CancellationToken.None);
        Assert.Equal((run.InvoiceId, true), (again.Invoice?.Document.Id, again.Already));

        // A month with nothing to bill (the one before) is recorded without an invoice, and issues nothing.
        var empty = await invoices.IssuePeriodAsync("acme", month.AddMonths(-1), CancellationToken.None);
        Assert.Equal((null, false), (empty.Invoice, empty.Already));
        Assert.Null((await invoices.PeriodRunsAsync("acme", CancellationToken.None)).Single(r => r.Period == Period(month.AddMonths(-1))).InvoiceId);
        Assert.Single(await invoices.ListAsync("acme", CancellationToken.None));

        // Switching monthly billing off cancels the deadline.
        await Json(await staff.PutAsJsonAsync("/api/billing/accounts/acme/billing-profile", new { countryCode = "US", billingPeriod = "none" }), 200);
        Assert.Null(await DeadlineAsync());
    }

    private static string Period(DateOnly month) => month.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<(long DueAtMs, string Payload)?> DeadlineAsync()
    {
        await using var connection = await host.Factory.Services.GetRequiredService<IDatabase>().OpenConnectionAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT due_at_ms, payload FROM sp_deadlines WHERE id = 'billing/acme/period'";
        await using var reader = await query.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private async Task<PeriodRun> WaitForRunAsync(InvoiceService invoices, string period)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if ((await invoices.PeriodRunsAsync("acme", CancellationToken.None)).FirstOrDefault(r => r.Period == period) is { } run)
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the billing period {period} was not invoiced");
            host.Clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(200);
        }
    }
}

public sealed class SqliteBillingPeriodHost() : BillingFixture(DatabaseProvider.Sqlite, BillingPeriodTests.NearMonthEnd());

public sealed class PostgreSqlBillingPeriodHost() : BillingFixture(DatabaseProvider.PostgreSql, BillingPeriodTests.NearMonthEnd());

public sealed class SqliteBillingPeriodTests(SqliteBillingPeriodHost host) : BillingPeriodTests(host), IClassFixture<SqliteBillingPeriodHost>;

public sealed class PostgreSqlBillingPeriodTests(PostgreSqlBillingPeriodHost host) : BillingPeriodTests(host), IClassFixture<PostgreSqlBillingPeriodHost>;
