using System.Globalization;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Core;
using SupportPlatform.Core.Documents;
using SupportPlatform.Sdk.Billing;

namespace SupportPlatform.Billing.Documents;

/// <summary>
/// An issued document as HTML (the <c>invoice.html.sbn</c> template) and PDF (the HTML printed by headless Chromium, <see cref="ChromiumPdf"/>).
/// Documents never change, so each PDF is printed once and kept in the data folder (<c>billing/pdf</c>).
/// </summary>
internal sealed class InvoiceRenderer(BillingTemplates templates, BillingOptions options, PlatformPaths paths)
{
    public Task<string> HtmlAsync(BillingDocument d, CancellationToken ct) => templates.RenderAsync("invoice.html.sbn", Model(d), ct);

    /// <summary>The model of <c>invoice.html.sbn</c> (also the template page's sample).</summary>
    internal static object Model(BillingDocument d) => new
    {
        Title = d.Kind == BillingDocumentKind.Invoice ? "Invoice" : "Credit note",
        d.Number,
        Issued = d.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Due = d.Kind == BillingDocumentKind.Invoice ? d.DueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
        Period = d.PeriodStart is { } s && d.PeriodEnd is { } e ? $"{s:yyyy-MM-dd} to {e:yyyy-MM-dd}" : null,
        Credits = d.CreditsNumber,
        d.Reason,
        d.Seller,
        d.Buyer,
        d.Currency,
        Lines = d.Lines.Select(l => new
        {
            l.Description,
            l.Reference,
            Hours = Hours(l.Hours),
            Rate = Money(l.Rate, d.Currency),
            Amount = Money(l.Amount, d.Currency),
            Entries = l.Entries.Select(x => new { Date = x.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), x.Person, x.Note, Hours = Hours(x.Minutes / 60m) }).ToList(),
        }).ToList(),
        Subtotal = Money(d.Subtotal, d.Currency),
        d.TaxName,
        TaxRate = d.TaxRate.ToString("0.####", CultureInfo.InvariantCulture),
        Tax = Money(d.Tax, d.Currency),
        Total = Money(d.Total, d.Currency),
    };

    public async Task<byte[]> PdfAsync(BillingDocument document, CancellationToken ct)
    {
        var folder = Path.Combine(paths.DataPath, "billing", "pdf");
        var file = Path.Combine(folder, document.Number + ".pdf");
        if (File.Exists(file))
        {
            return await File.ReadAllBytesAsync(file, ct);
        }

        Directory.CreateDirectory(folder);
        byte[] bytes;
        try
        {
            bytes = await ChromiumPdf.PrintAsync(options.ChromiumPath, await HtmlAsync(document, ct), ct);
        }
        catch (ChromiumPdfException ex)
        {
            throw new BillingException(503, "pdf-unavailable", ex.Message + " The HTML form is available.");
        }

        var temp = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes, ct);
        File.Move(temp, file, overwrite: true);
        return bytes;
    }

    public static string Money(decimal amount, string currency) => amount.ToString("#,##0.00", CultureInfo.InvariantCulture) + " " + currency;

    public static string Hours(decimal hours) => decimal.Round(hours, 2, MidpointRounding.AwayFromZero).ToString("0.00", CultureInfo.InvariantCulture);
}
