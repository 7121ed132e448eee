namespace SupportPlatform.Sdk.Billing;

/// <summary>What kind of billing document it is.</summary>
public enum BillingDocumentKind
{
    /// <summary>An invoice (UBL invoice type code 380).</summary>
    Invoice = 0,

    /// <summary>A credit note that cancels an invoice (UBL credit note type code 381); its amounts are positive and credit the client.</summary>
    CreditNote = 1,
}

/// <summary>
/// An issued invoice or credit note, exactly as the client received it. Amounts are exact decimals in
/// <see cref="Currency"/>, rounded to cents: each line's amount is its hours times its rate, rounded half away from
/// zero; <see cref="Subtotal"/> is the sum of the line amounts; <see cref="Tax"/> is the subtotal times the tax rate,
/// rounded the same way; <see cref="Total"/> is their sum.
/// </summary>
public sealed record BillingDocument
{
    /// <summary>The document's id in the platform.</summary>
    public required string Id { get; init; }

    /// <summary>Invoice or credit note.</summary>
    public required BillingDocumentKind Kind { get; init; }

    /// <summary>The gapless document number (<c>INV-000042</c>, <c>CN-000003</c>).</summary>
    public required string Number { get; init; }

    /// <summary>When it was issued.</summary>
    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>When payment is due.</summary>
    public required DateOnly DueDate { get; init; }

    /// <summary>For a credit note: the number of the invoice it credits.</summary>
    public string? CreditsNumber { get; init; }

    /// <summary>Why a credit note was issued.</summary>
    public string? Reason { get; init; }

    /// <summary>The period the invoice covers, when it is a period invoice.</summary>
    public DateOnly? PeriodStart { get; init; }

    /// <summary>The last day of the period the invoice covers, when it is a period invoice.</summary>
    public DateOnly? PeriodEnd { get; init; }

    /// <summary>The MSP.</summary>
    public required BillingParty Seller { get; init; }

    /// <summary>The client (with <see cref="BillingParty.Id"/> = the platform's account id).</summary>
    public required BillingParty Buyer { get; init; }

    /// <summary>ISO 4217 code, e.g. <c>USD</c>.</summary>
    public required string Currency { get; init; }

    /// <summary>The lines.</summary>
    public required IReadOnlyList<BillingLine> Lines { get; init; }

    /// <summary>Sum of the line amounts.</summary>
    public required decimal Subtotal { get; init; }

    /// <summary>The tax's name (<c>VAT</c>, <c>Sales tax</c>).</summary>
    public required string TaxName { get; init; }

    /// <summary>The tax rate in percent (20 = 20%); 0 when no tax applies.</summary>
    public required decimal TaxRate { get; init; }

    /// <summary>The tax amount.</summary>
    public required decimal Tax { get; init; }

    /// <summary>Subtotal plus tax.</summary>
    public required decimal Total { get; init; }
}

/// <summary>A party of the document.</summary>
/// <param name="Id">The platform's id for the party (the account id for the buyer).</param>
/// <param name="Name">Legal or trading name.</param>
/// <param name="CountryCode">ISO 3166-1 alpha-2 code (<c>US</c>).</param>
/// <param name="VatId">VAT or tax registration number, if any.</param>
/// <param name="Street">Street address.</param>
/// <param name="City">City.</param>
/// <param name="PostalCode">Postal code.</param>
/// <param name="Email">Billing email address.</param>
public sealed record BillingParty(string Id, string Name, string CountryCode, string? VatId = null, string? Street = null, string? City = null, string? PostalCode = null, string? Email = null);

/// <summary>One line: a task of approved work with its time entries, or a phone-allowance overage line.</summary>
/// <param name="Kind"><c>work</c> or <c>phone-overage</c>.</param>
/// <param name="Description">What was done (<c>Migrate mail server: Move mailboxes</c>).</param>
/// <param name="Hours">Hours billed (exact: minutes / 60, may have more than two decimals).</param>
/// <param name="Rate">Price of one hour.</param>
/// <param name="Amount">Hours times rate, rounded to cents half away from zero.</param>
/// <param name="Reference">Where it comes from (the estimate id, the ticket number).</param>
/// <param name="Entries">The time entries behind a work line.</param>
public sealed record BillingLine(string Kind, string Description, decimal Hours, decimal Rate, decimal Amount, string? Reference, IReadOnlyList<BillingTimeEntry> Entries);

/// <summary>Time logged by one person on one day.</summary>
/// <param name="Date">The day the work started.</param>
/// <param name="Person">Who did it.</param>
/// <param name="Minutes">How long.</param>
/// <param name="Note">What was done.</param>
public sealed record BillingTimeEntry(DateOnly Date, string Person, int Minutes, string Note);
