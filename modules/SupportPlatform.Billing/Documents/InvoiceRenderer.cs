using System.Diagnostics;
using System.Globalization;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Core;
using SupportPlatform.Sdk.Billing;

namespace SupportPlatform.Billing.Documents;

/// <summary>
/// An issued document as HTML (the <c>invoice.html.sbn</c> template) and PDF (the HTML printed by headless Chromium).
/// Documents never change, so each PDF is printed once and kept in the data folder (<c>billing/pdf</c>).
/// </summary>
internal sealed class InvoiceRenderer(BillingTemplates templates, BillingOptions options, PlatformPaths paths)
{
    private static readonly SemaphoreSlim Printing = new(1, 1);

    public string Html(BillingDocument d) => templates.Render("invoice.html.sbn", new
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
    });

    public async Task<byte[]> PdfAsync(BillingDocument document, CancellationToken ct)
    {
        var folder = Path.Combine(paths.DataPath, "billing", "pdf");
        var file = Path.Combine(folder, document.Number + ".pdf");
        if (File.Exists(file))
        {
            return await File.ReadAllBytesAsync(file, ct);
        }

        if (!File.Exists(options.ChromiumPath))
        {
            throw new BillingException(503, "pdf-unavailable",
                $"PDFs are printed with Chromium, which is not installed at {options.ChromiumPath} (apt-get install chromium, or set SupportPlatform:Billing:ChromiumPath). The HTML form is available.");
        }

        Directory.CreateDirectory(folder);
        var work = Path.Combine(Path.GetTempPath(), "sp-pdf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        await Printing.WaitAsync(ct);
        try
        {
            var html = Path.Combine(work, "document.html");
            var pdf = Path.Combine(work, "document.pdf");
            await File.WriteAllTextAsync(html, Html(document), ct);
            var start = new ProcessStartInfo(options.ChromiumPath)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                "--user-data-dir=" + Path.Combine(work, "profile"), "--no-pdf-header-footer", "--print-to-pdf=" + pdf, new Uri(html).AbsoluteUri,
            })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start) ?? throw new BillingException(503, "pdf-unavailable", "Chromium could not be started.");
            var stderr = process.StandardError.ReadToEndAsync(ct);
            _ = process.StandardOutput.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new BillingException(503, "pdf-unavailable", "Chromium did not print the PDF within 60 seconds.");
            }

            if (!File.Exists(pdf))
            {
                throw new BillingException(503, "pdf-unavailable", $"Chromium printed no PDF (exit code {process.ExitCode}): {(await stderr).Trim()[..Math.Min(500, (await stderr).Trim().Length)]}");
            }

            var bytes = await File.ReadAllBytesAsync(pdf, ct);
            var temp = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
            await File.WriteAllBytesAsync(temp, bytes, ct);
            File.Move(temp, file, overwrite: true);
            return bytes;
        }
        finally
        {
            Printing.Release();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public static string Money(decimal amount, string currency) => amount.ToString("#,##0.00", CultureInfo.InvariantCulture) + " " + currency;

    public static string Hours(decimal hours) => decimal.Round(hours, 2, MidpointRounding.AwayFromZero).ToString("0.00", CultureInfo.InvariantCulture);
}
