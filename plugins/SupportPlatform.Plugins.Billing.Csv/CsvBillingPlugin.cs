using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Billing;

namespace SupportPlatform.Plugins.Billing.Csv;

/// <summary>Registers the CSV exporter.</summary>
public sealed class CsvBillingPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = context.Configuration["outputPath"] is { Length: > 0 } path ? path : Path.Combine(context.DataFolder, "exports");
        services.AddSingleton<IBillingExporter>(new CsvBillingExporter(folder));
    }
}

/// <summary>
/// Writes <c>&lt;number&gt;.csv</c> (RFC 4180, UTF-8, comma-separated, invariant numbers with a dot): one row per time
/// entry of a work line and one per other line, with the document's totals repeated on each row so that a row can be
/// imported alone. Credit notes carry negative amounts. The file is written under a temporary name and moved into place,
/// so an importer never reads half a file; exporting the same number again overwrites it.
/// </summary>
internal sealed class CsvBillingExporter(string folder) : IBillingExporter
{
    public const string Header = "document_type,number,issue_date,due_date,credits_number,buyer_id,buyer_name,currency,line_description,line_reference,entry_date,person,note,hours,rate,amount,subtotal,tax_rate,tax,total";

    public string Format => "csv";

    public async Task<BillingExportResult> ExportAsync(BillingDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        try
        {
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, document.Number + ".csv");
            var temp = file + ".tmp";
            await File.WriteAllTextAsync(temp, Write(document), new UTF8Encoding(false), cancellationToken);
            File.Move(temp, file, overwrite: true);
            return BillingExportResult.Success(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return BillingExportResult.Failure($"Could not write to {folder}: {ex.Message}");
        }
    }

    public static string Write(BillingDocument d)
    {
        var sign = d.Kind == BillingDocumentKind.CreditNote ? -1m : 1m;
        var csv = new StringBuilder().Append(Header).Append("\r\n");
        foreach (var line in d.Lines)
        {
            if (line.Entries.Count == 0)
            {
                Row(csv, d, sign, line, null, line.Hours, line.Amount);
                continue;
            }

            foreach (var entry in line.Entries)
            {
                // The amount stays on the line's first row: the sum of the amount column is the subtotal.
                Row(csv, d, sign, line, entry, entry.Minutes / 60m, ReferenceEquals(entry, line.Entries[0]) ? line.Amount : 0m);
            }
        }

        return csv.ToString();
    }

    private static void Row(StringBuilder csv, BillingDocument d, decimal sign, BillingLine line, BillingTimeEntry? entry, decimal hours, decimal amount)
    {
        string[] fields =
        [
            d.Kind == BillingDocumentKind.Invoice ? "invoice" : "credit-note", d.Number, Date(DateOnly.FromDateTime(d.IssuedAt.UtcDateTime)), Date(d.DueDate),
            d.CreditsNumber ?? "", d.Buyer.Id, d.Buyer.Name, d.Currency, line.Description, line.Reference ?? "",
            entry is null ? "" : Date(entry.Date), entry?.Person ?? "", entry?.Note ?? "",
            Number(decimal.Round(hours, 4)), Number(line.Rate), Number(sign * amount), Number(sign * d.Subtotal), Number(d.TaxRate), Number(sign * d.Tax), Number(sign * d.Total),
        ];
        csv.AppendJoin(',', fields.Select(Quote)).Append("\r\n");
    }

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Number(decimal value) => value.ToString("0.00##", CultureInfo.InvariantCulture);

    // RFC 4180 quoting; a leading =, +, - or @ in text is prefixed with ' so that a spreadsheet never runs it as a formula.
    private static string Quote(string value)
    {
        if (value.Length > 0 && "=+-@".Contains(value[0], StringComparison.Ordinal) && !decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
