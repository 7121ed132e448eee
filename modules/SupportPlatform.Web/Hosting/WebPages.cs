using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;

namespace SupportPlatform.Web.Hosting;

/// <summary>Maps the pages <c>/console/...</c> and <c>/portal/...</c>; serves pages and assets with their headers.</summary>
internal static class WebPages
{
    /// <summary>
    /// Scripts, styles and connections only from this host; no inline script, no plugins, no framing. The pages never
    /// put user data into markup (they use textContent), and this policy is the second line if one ever did.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The console needs staff (a client user is sent to the portal); the portal needs a signed-in user (its script
    /// sends staff on to the console). A browser that is not signed in is redirected to <c>/signin?returnUrl=...</c>. The sign-in page and the
    /// assets are public and served before routing (<see cref="PublicWebFiles"/>).
    /// </summary>
    public static void MapWebPages(this IEndpointRouteBuilder endpoints)
    {
        var pages = endpoints.MapGroup("").WithTags("Web").ExcludeFromDescription();
        var console = pages.MapGroup("/console").RequireAuthorization(Policy(PlatformPolicies.Staff));
        console.MapGet("", Page("console.html"));
        console.MapGet("/tickets/{id:long}", Page("ticket.html"));
        console.MapGet("/admin", Page("admin.html"));
        console.MapGet("/kb", Page("kb.html"));
        console.MapGet("/admin/{**section}", Page("admin.html"));
        console.MapGet("/billing", Page("billing.html"));
        console.MapGet("/oncall", Page("oncall.html"));
        console.MapGet("/oncall/{**section}", Page("oncall.html"));
        console.MapGet("/monitoring", Page("monitoring.html"));
        console.MapGet("/monitoring/wall", Page("monitoring.html"));
        console.MapGet("/reports", Page("reports.html"));
        console.MapGet("/mail", Page("mail.html"));

        var portal = pages.MapGroup("/portal").RequireAuthorization(Policy(PlatformPolicies.SignedIn));
        portal.MapGet("", Page("portal.html"));
        portal.MapGet("/estimates", Page("estimates.html"));
        portal.MapGet("/monitoring", Page("monitoring.html"));
        portal.MapGet("/reports", Page("reports.html"));
        portal.MapGet("/{**rest}", Page("portal.html"));
    }

    /// <summary>The platform's policy, answered the way pages answer (<see cref="WebPageAuthentication"/>).</summary>
    private static AuthorizeAttribute Policy(string policy) => new(policy) { AuthenticationSchemes = WebPageAuthentication.SchemeName };

    private static Delegate Page(string file) => (HttpContext http, WebAssets assets) => ServePage(http, assets, file);

    /// <summary>A page of <c>wwwroot/pages</c> with the security headers of every page.</summary>
    public static IResult ServePage(HttpContext http, WebAssets assets, string file)
    {
        var asset = assets.Find("pages/" + file) ?? throw new InvalidOperationException($"The page {file} is not embedded in SupportPlatform.Web.");
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        http.Response.Headers["Referrer-Policy"] = "same-origin";
        http.Response.Headers.XFrameOptions = "DENY";
        return Serve(http, asset);
    }

    public static IResult Serve(HttpContext http, WebAsset asset)
    {
        http.Response.Headers.XContentTypeOptions = "nosniff";
        // Revalidated on every use (cheap 304 by ETag), so an upgrade never leaves an old script in a browser cache.
        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
    }
}
