using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SupportPlatform.Web.Hosting;

/// <summary>Maps the pages (<c>/signin</c>, <c>/console/...</c>, <c>/portal/...</c>) and their assets (<c>/web/...</c>).</summary>
internal static class WebPages
{
    /// <summary>
    /// Scripts, styles and connections only from this host; no inline script, no plugins, no framing. The pages never
    /// put user data into markup (they use textContent), and this policy is the second line if one ever did.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void MapWebPages(this IEndpointRouteBuilder endpoints)
    {
        var pages = endpoints.MapGroup("").WithTags("Web").ExcludeFromDescription();
        pages.MapGet("/signin", Page("signin.html"));
        pages.MapGet("/console", Page("console.html"));
        pages.MapGet("/console/tickets/{id:long}", Page("ticket.html"));
        pages.MapGet("/console/admin", Page("admin.html"));
        pages.MapGet("/console/admin/{**section}", Page("admin.html"));
        pages.MapGet("/portal", Page("portal.html"));
        pages.MapGet("/portal/{**rest}", Page("portal.html"));
        pages.MapGet("/web/{**path}", (string path, HttpContext http, WebAssets assets) =>
            assets.Find(path) is { } asset ? Serve(http, asset) : Results.NotFound());
    }

    private static Delegate Page(string file) => (HttpContext http, WebAssets assets) =>
    {
        var asset = assets.Find("pages/" + file) ?? throw new InvalidOperationException($"The page {file} is not embedded in SupportPlatform.Web.");
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        http.Response.Headers["Referrer-Policy"] = "same-origin";
        http.Response.Headers.XFrameOptions = "DENY";
        return Serve(http, asset);
    };

    private static IResult Serve(HttpContext http, WebAsset asset)
    {
        http.Response.Headers.XContentTypeOptions = "nosniff";
        // Revalidated on every use (cheap 304 by ETag), so an upgrade never leaves an old script in a browser cache.
        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
    }
}
