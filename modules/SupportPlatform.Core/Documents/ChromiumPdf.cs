using System.Diagnostics;

namespace SupportPlatform.Core.Documents;

/// <summary>
/// Prints an HTML document to PDF with headless Chromium (<c>--print-to-pdf</c>), one print at a time per process. Used
/// for invoices (billing) and reports. The HTML must be self-contained (inline styles, data: images): Chromium runs with
/// a throwaway profile and loads nothing else.
/// </summary>
public static class ChromiumPdf
{
    private static readonly SemaphoreSlim Printing = new(1, 1);

    /// <summary>Prints <paramref name="html"/>; throws <see cref="ChromiumPdfException"/> saying why when no PDF comes out.</summary>
    public static async Task<byte[]> PrintAsync(string chromiumPath, string html, CancellationToken cancellationToken)
    {
        if (!File.Exists(chromiumPath))
        {
            throw new ChromiumPdfException($"PDFs are printed with Chromium, which is not installed at {chromiumPath} (apt-get install chromium, or set the ChromiumPath setting).");
        }

        var work = Path.Combine(Path.GetTempPath(), "sp-pdf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        await Printing.WaitAsync(cancellationToken);
        try
        {
            var page = Path.Combine(work, "document.html");
            var pdf = Path.Combine(work, "document.pdf");
            await File.WriteAllTextAsync(page, html, cancellationToken);
            var start = new ProcessStartInfo(chromiumPath)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                "--user-data-dir=" + Path.Combine(work, "profile"), "--no-pdf-header-footer", "--print-to-pdf=" + pdf, new Uri(page).AbsoluteUri,
            })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start) ?? throw new ChromiumPdfException("Chromium could not be started.");
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new ChromiumPdfException("Chromium did not print the PDF within 60 seconds.");
            }

            if (!File.Exists(pdf))
            {
                var error = (await stderr).Trim();
                throw new ChromiumPdfException($"Chromium printed no PDF (exit code {process.ExitCode}): {error[..Math.Min(500, error.Length)]}");
            }

            return await File.ReadAllBytesAsync(pdf, cancellationToken);
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
}

/// <summary>No PDF could be printed; the message says why.</summary>
public sealed class ChromiumPdfException(string message) : Exception(message);
