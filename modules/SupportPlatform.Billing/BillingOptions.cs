using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SupportPlatform.Core;
using SupportPlatform.Sdk.Billing;

namespace SupportPlatform.Billing;

/// <summary>
/// The MSP's billing settings (<c>SupportPlatform:Billing:*</c>): currency, tax, who the seller is, payment terms, how
/// long approval links work, where PDFs are printed. Checked at start; a bad value names its key.
/// </summary>
internal sealed partial record BillingOptions
{
    public const string Section = "SupportPlatform:Billing";

    public string Currency { get; init; } = "USD";
    public decimal TaxRate { get; init; }
    public string TaxName { get; init; } = "Tax";
    public int PaymentTermsDays { get; init; } = 30;
    public TimeSpan ApprovalLinkLifetime { get; init; } = TimeSpan.FromDays(14);
    public string PublicUrl { get; init; } = "";
    public string ChromiumPath { get; init; } = "/usr/bin/chromium";
    public TimeSpan ExportPollInterval { get; init; } = TimeSpan.FromSeconds(5);
    public BillingParty Seller { get; init; } = new("msp", "Managed Service Provider", "US");

    public static BillingOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var options = new BillingOptions();
        string Key(string name) => $"{Section}:{name}";

        var currency = section["Currency"] ?? options.Currency;
        if (!CurrencyCode().IsMatch(currency))
        {
            throw new PlatformSettingsException([$"{Key("Currency")} is '{currency}'; it must be a three-letter ISO 4217 code such as USD or EUR."]);
        }

        var taxRate = options.TaxRate;
        if (section["TaxRate"] is { Length: > 0 } rawTax
            && (!decimal.TryParse(rawTax, NumberStyles.Number, CultureInfo.InvariantCulture, out taxRate) || taxRate < 0 || taxRate > 100))
        {
            throw new PlatformSettingsException([$"{Key("TaxRate")} is '{rawTax}'; it must be a percentage from 0 to 100, e.g. 20 or 8.875."]);
        }

        var terms = options.PaymentTermsDays;
        if (section["PaymentTermsDays"] is { Length: > 0 } rawTerms
            && (!int.TryParse(rawTerms, CultureInfo.InvariantCulture, out terms) || terms is < 0 or > 365))
        {
            throw new PlatformSettingsException([$"{Key("PaymentTermsDays")} is '{rawTerms}'; it must be a whole number of days from 0 to 365."]);
        }

        var lifetime = options.ApprovalLinkLifetime;
        if (section["ApprovalLinkLifetime"] is { Length: > 0 } rawLifetime
            && (!TimeSpan.TryParse(rawLifetime, CultureInfo.InvariantCulture, out lifetime) || lifetime <= TimeSpan.Zero))
        {
            throw new PlatformSettingsException([$"{Key("ApprovalLinkLifetime")} is '{rawLifetime}'; it must be a positive time span such as 14.00:00:00."]);
        }

        var poll = options.ExportPollInterval;
        if (section["ExportPollInterval"] is { Length: > 0 } rawPoll
            && (!TimeSpan.TryParse(rawPoll, CultureInfo.InvariantCulture, out poll) || poll <= TimeSpan.Zero))
        {
            throw new PlatformSettingsException([$"{Key("ExportPollInterval")} is '{rawPoll}'; it must be a positive time span such as 00:00:05."]);
        }

        var seller = section.GetSection("Seller");
        var country = seller["CountryCode"] ?? options.Seller.CountryCode;
        if (!CountryCode().IsMatch(country))
        {
            throw new PlatformSettingsException([$"{Key("Seller:CountryCode")} is '{country}'; it must be a two-letter ISO 3166 code such as US or DE."]);
        }

        return options with
        {
            Currency = currency,
            TaxRate = taxRate,
            TaxName = section["TaxName"] ?? options.TaxName,
            PaymentTermsDays = terms,
            ApprovalLinkLifetime = lifetime,
            ExportPollInterval = poll,
            PublicUrl = (section["PublicUrl"] ?? configuration["SupportPlatform:Email:PublicUrl"] ?? configuration["SupportPlatform:PublicUrl"] ?? "").TrimEnd('/'),
            ChromiumPath = section["ChromiumPath"] ?? options.ChromiumPath,
            Seller = new BillingParty(
                "msp",
                seller["Name"] ?? options.Seller.Name,
                country,
                seller["VatId"],
                seller["Street"],
                seller["City"],
                seller["PostalCode"],
                seller["Email"]),
        };
    }

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryCode();
}
