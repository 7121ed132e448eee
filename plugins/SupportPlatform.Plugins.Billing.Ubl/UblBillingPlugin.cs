using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Billing;

namespace SupportPlatform.Plugins.Billing.Ubl;

/// <summary>Registers the UBL exporter.</summary>
public sealed class UblBillingPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = context.Configuration["outputPath"] is { Length: > 0 } path ? path : Path.Combine(context.DataFolder, "exports");
        services.AddSingleton<IBillingExporter>(new UblBillingExporter(folder));
    }
}

/// <summary>
/// Writes <c>&lt;number&gt;.xml</c>: a UBL 2.1 <c>Invoice</c> (type 380) or <c>CreditNote</c> (type 381, referring to the
/// credited invoice) with the EN 16931 core customization id. Each line is a quantity of hours (unit HUR) at the hourly
/// price; VAT category S (standard rate) when the document has tax, else O (not subject to VAT, with the reason).
/// </summary>
internal sealed class UblBillingExporter(string folder) : IBillingExporter
{
    public const string CustomizationId = "urn:cen.eu:en16931:2017";

    private static readonly XNamespace Cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
    private static readonly XNamespace Cac = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
    private static readonly XNamespace InvoiceNs = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
    private static readonly XNamespace CreditNoteNs = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";

    public string Format => "ubl";

    public async Task<BillingExportResult> ExportAsync(BillingDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        try
        {
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, document.Number + ".xml");
            var temp = file + ".tmp";
            await using (var stream = File.Create(temp))
            {
                await Write(document).SaveAsync(stream, SaveOptions.None, cancellationToken);
            }

            File.Move(temp, file, overwrite: true);
            return BillingExportResult.Success(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return BillingExportResult.Failure($"Could not write to {folder}: {ex.Message}");
        }
    }

    public static XDocument Write(BillingDocument d)
    {
        var credit = d.Kind == BillingDocumentKind.CreditNote;
        XNamespace root = credit ? CreditNoteNs : InvoiceNs;
        var taxed = d.TaxRate > 0;
        var body = new List<object?>
        {
            new XAttribute(XNamespace.Xmlns + "cac", Cac.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "cbc", Cbc.NamespaceName),
            new XElement(Cbc + "CustomizationID", CustomizationId),
            new XElement(Cbc + "ID", d.Number),
            new XElement(Cbc + "IssueDate", Date(DateOnly.FromDateTime(d.IssuedAt.UtcDateTime))),
            credit ? null : new XElement(Cbc + "DueDate", Date(d.DueDate)),
            new XElement(Cbc + (credit ? "CreditNoteTypeCode" : "InvoiceTypeCode"), credit ? "381" : "380"),
            d.Reason is { Length: > 0 } reason ? new XElement(Cbc + "Note", reason) : null,
            new XElement(Cbc + "DocumentCurrencyCode", d.Currency),
            new XElement(Cbc + "BuyerReference", d.Buyer.Id),
            d.PeriodStart is { } start && d.PeriodEnd is { } end
                ? new XElement(Cac + "InvoicePeriod", new XElement(Cbc + "StartDate", Date(start)), new XElement(Cbc + "EndDate", Date(end)))
                : null,
            d.CreditsNumber is { } credited
                ? new XElement(Cac + "BillingReference", new XElement(Cac + "InvoiceDocumentReference", new XElement(Cbc + "ID", credited)))
                : null,
            new XElement(Cac + "AccountingSupplierParty", Party(d.Seller)),
            new XElement(Cac + "AccountingCustomerParty", Party(d.Buyer)),
            new XElement(Cac + "TaxTotal",
                Amount("TaxAmount", d.Tax, d.Currency),
                new XElement(Cac + "TaxSubtotal",
                    Amount("TaxableAmount", d.Subtotal, d.Currency),
                    Amount("TaxAmount", d.Tax, d.Currency),
                    Category("TaxCategory", taxed, d.TaxRate))),
            new XElement(Cac + "LegalMonetaryTotal",
                Amount("LineExtensionAmount", d.Subtotal, d.Currency),
                Amount("TaxExclusiveAmount", d.Subtotal, d.Currency),
                Amount("TaxInclusiveAmount", d.Total, d.Currency),
                Amount("PayableAmount", d.Total, d.Currency)),
        };
        body.AddRange(d.Lines.Select((line, i) => new XElement(Cac + (credit ? "CreditNoteLine" : "InvoiceLine"),
            new XElement(Cbc + "ID", (i + 1).ToString(CultureInfo.InvariantCulture)),
            line.Reference is { Length: > 0 } reference ? new XElement(Cbc + "Note", reference) : null,
            new XElement(Cbc + (credit ? "CreditedQuantity" : "InvoicedQuantity"), new XAttribute("unitCode", "HUR"), Number(decimal.Round(line.Hours, 4), "0.00##")),
            Amount("LineExtensionAmount", line.Amount, d.Currency),
            new XElement(Cac + "Item",
                new XElement(Cbc + "Name", Truncate(line.Description, 200)),
                Category("ClassifiedTaxCategory", taxed, d.TaxRate)),
            new XElement(Cac + "Price", Amount("PriceAmount", line.Rate, d.Currency)))));
        return new XDocument(new XDeclaration("1.0", "UTF-8", null), new XElement(root + (credit ? "CreditNote" : "Invoice"), body));
    }

    /// <summary>The document as UTF-8 text.</summary>
    public static string WriteText(BillingDocument d)
    {
        var builder = new StringBuilder();
        using (var writer = XmlWriter.Create(new StringWriterUtf8(builder), new XmlWriterSettings { Indent = true }))
        {
            Write(d).Save(writer);
        }

        return builder.ToString();
    }

    private static XElement Party(BillingParty p) => new(Cac + "Party",
        new XElement(Cac + "PartyName", new XElement(Cbc + "Name", p.Name)),
        new XElement(Cac + "PostalAddress",
            p.Street is { Length: > 0 } street ? new XElement(Cbc + "StreetName", street) : null,
            p.City is { Length: > 0 } city ? new XElement(Cbc + "CityName", city) : null,
            p.PostalCode is { Length: > 0 } zip ? new XElement(Cbc + "PostalZone", zip) : null,
            new XElement(Cac + "Country", new XElement(Cbc + "IdentificationCode", p.CountryCode))),
        p.VatId is { Length: > 0 } vat
            ? new XElement(Cac + "PartyTaxScheme", new XElement(Cbc + "CompanyID", vat), new XElement(Cac + "TaxScheme", new XElement(Cbc + "ID", "VAT")))
            : null,
        new XElement(Cac + "PartyLegalEntity", new XElement(Cbc + "RegistrationName", p.Name)),
        p.Email is { Length: > 0 } email ? new XElement(Cac + "Contact", new XElement(Cbc + "ElectronicMail", email)) : null);

    // EN 16931: S (standard rate) carries its percent; O (not subject to VAT) carries no percent but an exemption reason.
    private static XElement Category(string name, bool taxed, decimal rate) => new(Cac + name,
        new XElement(Cbc + "ID", taxed ? "S" : "O"),
        taxed ? new XElement(Cbc + "Percent", Number(rate, "0.00##")) : null,
        taxed ? null : new XElement(Cbc + "TaxExemptionReason", "Not subject to VAT"),
        new XElement(Cac + "TaxScheme", new XElement(Cbc + "ID", "VAT")));

    private static XElement Amount(string name, decimal value, string currency) =>
        new(Cbc + name, new XAttribute("currencyID", currency), Number(value, "0.00"));

    private static string Number(decimal value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    private sealed class StringWriterUtf8(StringBuilder builder) : StringWriter(builder, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}
