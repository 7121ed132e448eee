namespace SupportPlatform.Billing.Domain;

/// <summary>
/// The money rules of estimates and invoices, all in <see cref="decimal"/>. Rounding rule: amounts are rounded to
/// cents half away from zero (2.345 → 2.35, -2.345 → -2.35) once per line (hours × rate), and the tax once on the
/// subtotal (never per line), so the total is always subtotal + tax and the lines add up to the subtotal.
/// </summary>
internal static class BillingMath
{
    /// <summary>Rounds to cents, half away from zero.</summary>
    public static decimal Cents(decimal amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);

    /// <summary>A line's amount: hours × rate, rounded to cents.</summary>
    public static decimal LineAmount(decimal hours, decimal rate) => Cents(hours * rate);

    /// <summary>The amount of <paramref name="minutes"/> at an hourly <paramref name="rate"/>: minutes × rate / 60, rounded once.</summary>
    public static decimal MinutesAmount(long minutes, decimal rate) => Cents(minutes * rate / 60m);

    /// <summary>Tax on a subtotal at <paramref name="ratePercent"/> percent, rounded to cents.</summary>
    public static decimal Tax(decimal subtotal, decimal ratePercent) => Cents(subtotal * ratePercent / 100m);

    /// <summary>Exact hours of <paramref name="minutes"/> (may have many decimals; shown rounded).</summary>
    public static decimal Hours(long minutes) => minutes / 60m;

    /// <summary>Cents as a whole number, for sums in SQL.</summary>
    public static long ToMinor(decimal amount) => (long)Cents(amount * 100m);

    /// <summary>Totals of lines: subtotal (sum of the rounded line amounts), tax, total.</summary>
    public static (decimal Subtotal, decimal Tax, decimal Total) Totals(IEnumerable<decimal> lineAmounts, decimal taxRatePercent)
    {
        var subtotal = lineAmounts.Sum();
        var tax = Tax(subtotal, taxRatePercent);
        return (subtotal, tax, subtotal + tax);
    }

    /// <summary>True when <paramref name="value"/> has at most <paramref name="places"/> decimal places (2.50 has 1).</summary>
    public static bool HasAtMostPlaces(decimal value, int places) => decimal.Round(value, places) == value;
}
