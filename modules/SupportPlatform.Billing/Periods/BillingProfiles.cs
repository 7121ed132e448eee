using System.Text.RegularExpressions;
using Dapper;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Billing.Contracts;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Sdk.Billing;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Billing.Periods;

/// <summary>An account's billing details: the buyer's postal address and VAT id, and its billing period.</summary>
internal sealed record BillingProfile(
    string AccountId,
    string? Street,
    string? City,
    string? PostalCode,
    string CountryCode,
    string? VatId,
    string? Email,
    string BillingPeriod,
    string? UpdatedBy,
    DateTimeOffset? UpdatedAt);

internal sealed record BillingProfileRequest(string? Street, string? City, string? PostalCode, string? CountryCode, string? VatId, string? Email, string? BillingPeriod);

/// <summary>
/// Reads and writes <c>sp_billing_accounts</c>. Kept in the billing module (like the scope rules) rather than on the
/// account grain: only invoices read it. An account without a row is billed with the seller's country and no address,
/// on completion or by hand only.
/// </summary>
internal sealed partial class BillingProfiles(IDatabase database, EstimateService estimates, BillingOptions options, TimeProvider clock, IGrainFactory grains)
{
    public const string None = "none";
    public const string Monthly = "monthly";

    public async Task<BillingProfile> GetAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ProfileRow>(
            """
            SELECT account_id AS AccountId, street AS Street, city AS City, postal_code AS PostalCode, country_code AS CountryCode, vat_id AS VatId,
                email AS Email, billing_period AS BillingPeriod, updated_by AS UpdatedBy, updated_at_ms AS UpdatedAtMs
            FROM sp_billing_accounts WHERE account_id = @accountId
            """, new { accountId });
        return row is null
            ? new BillingProfile(accountId, null, null, null, options.Seller.CountryCode, null, null, None, null, null)
            : new BillingProfile(row.AccountId, row.Street, row.City, row.PostalCode, row.CountryCode, row.VatId, row.Email, row.BillingPeriod,
                row.UpdatedBy, DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAtMs));
    }

    public async Task<BillingProfile> SetAsync(string accountId, BillingProfileRequest request, Actor actor, CancellationToken ct)
    {
        await estimates.RequireAccountAsync(accountId);
        var problems = new List<string>();
        string? Text(string? value, string name, int max)
        {
            var text = value?.Trim();
            if (text is { Length: > 0 } && text.Length > max)
            {
                problems.Add($"{name} is longer than {max} characters.");
            }

            return text is { Length: > 0 } ? text : null;
        }

        var street = Text(request.Street, "street", 200);
        var city = Text(request.City, "city", 100);
        var postalCode = Text(request.PostalCode, "postalCode", 20);
        var email = Text(request.Email, "email", 254);
        var vat = Text(request.VatId, "vatId", 30)?.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        var country = request.CountryCode?.Trim().ToUpperInvariant() ?? "";
        var period = request.BillingPeriod?.Trim().ToLowerInvariant() ?? None;
        if (!CountryCode().IsMatch(country))
        {
            problems.Add($"countryCode is '{request.CountryCode}'; it must be a two-letter ISO 3166 code such as US or DE (EN 16931 requires the buyer's country).");
        }

        if (vat is not null && !VatId().IsMatch(vat))
        {
            problems.Add($"vatId is '{request.VatId}'; it must be letters and digits (3 to 30), e.g. DE123456789.");
        }

        if (email is not null && (!email.Contains('@', StringComparison.Ordinal) || email.StartsWith('@') || email.EndsWith('@')))
        {
            problems.Add($"email is '{email}'; it must be an email address.");
        }

        if (period is not (None or Monthly))
        {
            problems.Add($"billingPeriod is '{request.BillingPeriod}'; it must be \"none\" (invoice on completion or by hand) or \"monthly\".");
        }

        if (problems.Count > 0)
        {
            throw new BillingException(400, "invalid-billing-profile", string.Join(" ", problems));
        }

        await using (var connection = await database.OpenConnectionAsync(ct))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO sp_billing_accounts (account_id, street, city, postal_code, country_code, vat_id, email, billing_period, updated_by, updated_at_ms)
                VALUES (@accountId, @street, @city, @postalCode, @country, @vat, @email, @period, @by, @now)
                ON CONFLICT (account_id) DO UPDATE SET street = excluded.street, city = excluded.city, postal_code = excluded.postal_code,
                    country_code = excluded.country_code, vat_id = excluded.vat_id, email = excluded.email, billing_period = excluded.billing_period,
                    updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms
                """,
                new { accountId, street, city, postalCode, country, vat, email, period, by = actor.Id, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
        }

        await grains.GetGrain<IBillingPeriodGrain>(BillingPeriodGrain.Key(accountId)).Reschedule();
        return await GetAsync(accountId, ct);
    }

    /// <summary>The account as the buyer of an invoice.</summary>
    public async Task<BillingParty> BuyerAsync(AccountView account, CancellationToken ct)
    {
        var p = await GetAsync(account.Id, ct);
        return new BillingParty(account.Id, account.Name, p.CountryCode, p.VatId, p.Street, p.City, p.PostalCode, p.Email);
    }

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryCode();

    [GeneratedRegex("^[A-Z0-9]{3,30}$")]
    private static partial Regex VatId();

#pragma warning disable CA1812 // Instantiated by Dapper.
    private sealed class ProfileRow
    {
        public string AccountId { get; set; } = "";
        public string? Street { get; set; }
        public string? City { get; set; }
        public string? PostalCode { get; set; }
        public string CountryCode { get; set; } = "";
        public string? VatId { get; set; }
        public string? Email { get; set; }
        public string BillingPeriod { get; set; } = "";
        public string UpdatedBy { get; set; } = "";
        public long UpdatedAtMs { get; set; }
    }
}
