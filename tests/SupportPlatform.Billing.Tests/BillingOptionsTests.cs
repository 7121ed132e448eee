using Microsoft.Extensions.Configuration;
using SupportPlatform.Core;

namespace SupportPlatform.Billing.Tests;

/// <summary>The billing settings are checked at start; each bad value is named with its key.</summary>
public sealed class BillingOptionsTests
{
    private static BillingOptions Read(params (string Key, string Value)[] values) => BillingOptions.Read(new ConfigurationBuilder()
        .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("SupportPlatform:Billing:" + v.Key, v.Value)))
        .Build());

    [Fact]
    public void Seller_AddressAndVatId_Read()
    {
        var options = Read(("Seller:Name", " Acme MSP GmbH "), ("Seller:CountryCode", "DE"), ("Seller:VatId", "de 123 456 789"),
            ("Seller:Street", "Hauptstrasse 1"), ("Seller:City", "Berlin"), ("Seller:PostalCode", "10115"), ("Seller:Email", "billing@acme.example"));

        Assert.Equal(("Acme MSP GmbH", "DE", "DE123456789", "Hauptstrasse 1", "Berlin", "10115", "billing@acme.example"),
            (options.Seller.Name, options.Seller.CountryCode, options.Seller.VatId, options.Seller.Street, options.Seller.City, options.Seller.PostalCode, options.Seller.Email));
    }

    [Fact]
    public void Seller_BadValues_EachNamedByKey()
    {
        var error = Assert.Throws<PlatformSettingsException>(() => Read(
            ("Seller:Name", " "), ("Seller:VatId", "DE-123"), ("Seller:PostalCode", new string('9', 21)), ("Seller:Email", "billing")));

        Assert.Equal(4, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith("SupportPlatform:Billing:Seller:Name must be", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("SupportPlatform:Billing:Seller:VatId is 'DE-123'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("SupportPlatform:Billing:Seller:PostalCode is longer", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("SupportPlatform:Billing:Seller:Email is 'billing'", StringComparison.Ordinal));
    }

    [Fact]
    public void Seller_CountryMissingOrWrong_Refused()
    {
        var error = Assert.Throws<PlatformSettingsException>(() => Read(("Seller:CountryCode", "Germany")));

        Assert.Contains("SupportPlatform:Billing:Seller:CountryCode is 'Germany'", Assert.Single(error.Problems), StringComparison.Ordinal);
    }
}
