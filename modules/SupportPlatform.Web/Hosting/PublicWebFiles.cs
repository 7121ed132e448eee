using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace SupportPlatform.Web.Hosting;

/// <summary>
/// Serves what anyone may load, like the host's static files, at the very start of the pipeline (before routing and
/// authorization): the assets under <c>/web/...</c> (scripts, styles, the SignalR client) and the sign-in page
/// <c>/signin</c>. None of them carries user data; they are public so that a browser that is not signed in can sign in.
/// The console and portal pages are endpoints with policies (<see cref="WebPages"/>).
/// </summary>
internal sealed class PublicWebFiles(RequestDelegate next, WebAssets assets)
{
    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return next(http);
        }

        if (request.Path.Equals("/signin", StringComparison.OrdinalIgnoreCase))
        {
            return WebPages.ServePage(http, assets, "signin.html").ExecuteAsync(http);
        }

        if (request.Path.StartsWithSegments("/web", StringComparison.Ordinal, out var rest) && rest.HasValue)
        {
            return (assets.Find(rest.Value!.TrimStart('/')) is { } asset ? WebPages.Serve(http, asset) : Results.NotFound()).ExecuteAsync(http);
        }

        return next(http);
    }
}

/// <summary>Puts <see cref="PublicWebFiles"/> in front of the host's pipeline.</summary>
internal sealed class PublicWebFilesStartup : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<PublicWebFiles>();
        next(app);
    };
}
