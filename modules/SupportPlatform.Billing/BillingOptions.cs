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

        var sellerProblems = new List<string>();
        var sellerName = (seller["Name"] ?? options.Seller.Name).Trim();
        if (sellerName.Length is 0 or > 200)
        {
            sellerProblems.Add($"{Key("Seller:Name")} must be the seller's legal name, 1 to 200 characters (EN 16931 BT-27).");
        }

        var vatId = seller["VatId"] is { Length: > 0 } rawVat ? rawVat.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant() : null;
        if (vatId is not null && !VatId().IsMatch(vatId))
        {
            sellerProblems.Add($"{Key("Seller:VatId")} is '{seller["VatId"]}'; it must be letters and digits (3 to 30), e.g. DE123456789.");
        }

        foreach (var (name, max) in new[] { ("Street", 200), ("City", 100), ("PostalCode", 20), ("Email", 254) })
        {
            if (seller[name] is { } value && value.Trim().Length > max)
            {
                sellerProblems.Add($"{Key("Seller:" + name)} is longer than {max} characters.");
            }
        }

        if (seller["Email"] is { Length: > 0 } mail && (!mail.Contains('@', StringComparison.Ordinal) || mail.StartsWith('@') || mail.EndsWith('@')))
        {
            sellerProblems.Add($"{Key("Seller:Email")} is '{mail}'; it must be an email address.");
        }

        if (sellerProblems.Count > 0)
        {
            throw new PlatformSettingsException(sellerProblems);
        }

        static string? Trimmed(string? value) => value?.Trim() is { Length: > 0 } text ? text : null;

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
                sellerName,
                country,
                vatId,
                Trimmed(seller["Street"]),
                Trimmed(seller["City"]),
                Trimmed(seller["PostalCode"]),
                Trimmed(seller["Email"])),
        };
    }

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryCode();

    [GeneratedRegex("^[A-Z0-9]{3,30}$")]
    private static partial Regex VatId();
}
