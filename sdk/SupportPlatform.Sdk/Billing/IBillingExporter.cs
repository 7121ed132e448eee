namespace SupportPlatform.Sdk.Billing;

/// <summary>
/// Capability: passes issued invoices and credit notes to an accounting system or writes them in an exchange format
/// (CSV, UBL e-invoice). The billing module calls it once per issued document and plugin, and retries a failed export
/// (with growing pauses) until it succeeds; staff see every attempt's outcome. The document is final: an exporter
/// only reads it.
/// </summary>
/// <remarks>
/// Return <see cref="BillingExportResult.Failure"/> (or throw) when the target refused or could not be reached. A retry
/// may follow a success that was not recorded (a crash in between), so exporting the same document number twice must
/// be harmless, e.g. by overwriting a file named after the number.
/// </remarks>
public interface IBillingExporter
{
    /// <summary>A short name of the format or target, shown to staff (<c>csv</c>, <c>ubl</c>).</summary>
    string Format { get; }

    /// <summary>Exports one issued document.</summary>
    /// <param name="document">The invoice or credit note, as issued.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Success with a reference to what was produced (a file name, an id at the target), or failure with why.</returns>
    Task<BillingExportResult> ExportAsync(BillingDocument document, CancellationToken cancellationToken);
}

/// <summary>The outcome of an export.</summary>
/// <param name="Succeeded">Whether the export is done.</param>
/// <param name="Reference">What was produced (a file name, an id at the target) when it succeeded.</param>
/// <param name="Error">Why it failed, in words staff can act on.</param>
public sealed record BillingExportResult(bool Succeeded, string? Reference, string? Error)
{
    /// <summary>A successful export.</summary>
    public static BillingExportResult Success(string reference) => new(true, reference, null);

    /// <summary>A failed export; it will be retried.</summary>
    public static BillingExportResult Failure(string error) => new(false, null, error);
}
