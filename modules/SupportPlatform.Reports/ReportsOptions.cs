using Microsoft.Extensions.Configuration;
using SupportPlatform.Core;

namespace SupportPlatform.Reports;

/// <summary>
/// Report settings (<c>SupportPlatform:Reports:*</c>): where Chromium is (PDFs) and the address links in report mail
/// point at. Checked at start; a bad value names its key. Per-account schedules and recipients are data, set through the API.
/// </summary>
internal sealed record ReportsOptions
{
    public const string Section = "SupportPlatform:Reports";

    public string ChromiumPath { get; init; } = "/usr/bin/chromium";

    public string PublicUrl { get; init; } = "";

    public static ReportsOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var chromium = section["ChromiumPath"] ?? configuration["SupportPlatform:Billing:ChromiumPath"] ?? "/usr/bin/chromium";
        if (!Path.IsPathFullyQualified(chromium))
        {
            throw new PlatformSettingsException([$"{Section}:ChromiumPath is '{chromium}'; it must be an absolute path such as /usr/bin/chromium."]);
        }

        var publicUrl = (section["PublicUrl"] ?? configuration["SupportPlatform:Email:PublicUrl"] ?? configuration["SupportPlatform:PublicUrl"] ?? "").TrimEnd('/');
        if (publicUrl.Length > 0 && (!Uri.TryCreate(publicUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
        {
            throw new PlatformSettingsException([$"{Section}:PublicUrl is '{publicUrl}'; it must be an absolute http(s) address such as https://support.msp.example."]);
        }

        return new ReportsOptions { ChromiumPath = chromium, PublicUrl = publicUrl };
    }
}
