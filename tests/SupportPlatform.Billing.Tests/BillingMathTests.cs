using SupportPlatform.Billing.Domain;

namespace SupportPlatform.Billing.Tests;

/// <summary>The money rules: exact decimals, cents rounded half away from zero once per line and once for the tax.</summary>
public sealed class BillingMathTests
{
    [Theory]
    [InlineData("2.345", "2.35")]
    [InlineData("2.344", "2.34")]
    [InlineData("-2.345", "-2.35")]
    [InlineData("0.005", "0.01")]
    public void Cents_Midpoint_AwayFromZero(string amount, string expected) =>
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), BillingMath.Cents(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void LineAmount_HoursTimesRate_RoundedOnce() => Assert.Equal(144.64m, BillingMath.LineAmount(1.75m, 82.65m)); // 144.6375

    [Fact]
    public void MinutesAmount_TotalMinutesNotSumOfRoundedEntries()
    {
        // 3 entries of 7 minutes at 85/h: each 9.9166..., summed rounded entries would give 29.76; the task bills 21 minutes once.
        Assert.Equal(29.75m, BillingMath.MinutesAmount(21, 85m));
    }

    [Fact]
    public void Totals_TaxOnSubtotal_NotPerLine()
    {
        // Per-line tax would be 0.01 + 0.01 + 0.01 = 0.03; on the subtotal 0.15 × 8.875% = 0.0133... → 0.01.
        var (subtotal, tax, total) = BillingMath.Totals([0.05m, 0.05m, 0.05m], 8.875m);

        Assert.Equal((0.15m, 0.01m, 0.16m), (subtotal, tax, total));
    }

    [Fact]
    public void Totals_NoFloatingPointDrift()
    {
        var (subtotal, _, total) = BillingMath.Totals(Enumerable.Repeat(0.10m, 1000), 0m);

        Assert.Equal((100.00m, 100.00m), (subtotal, total));
    }

    [Theory]
    [InlineData("2.5", true)]
    [InlineData("2.50", true)]
    [InlineData("2.125", false)]
    public void HasAtMostPlaces_TwoDecimals(string value, bool expected) =>
        Assert.Equal(expected, BillingMath.HasAtMostPlaces(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture), 2));
}
