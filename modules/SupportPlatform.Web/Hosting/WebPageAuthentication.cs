using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Core.Security;

namespace SupportPlatform.Web.Hosting;

/// <summary>
/// How the console and portal pages answer a browser that may not see them: the caller is whoever the platform's
/// default scheme (the identity module's cookie or API token) says; someone not signed in is redirected to
/// <c>/signin?returnUrl=...</c> (a relative address), a client user who opens the console to the portal.
/// </summary>
internal sealed class WebPageAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "web-pages";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var schemes = Context.RequestServices.GetService(typeof(IAuthenticationSchemeProvider)) as IAuthenticationSchemeProvider;
        var platform = schemes is null ? null : await schemes.GetDefaultAuthenticateSchemeAsync();
        if (platform is null || platform.Name == SchemeName)
        {
            return AuthenticateResult.NoResult();
        }

        return await Context.AuthenticateAsync(platform.Name);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var here = Request.PathBase + Request.Path + Request.QueryString;
        Response.Redirect(Request.PathBase + "/signin" + QueryString.Create("returnUrl", here.ToString()));
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        if (!Context.User.IsStaff() && Request.Path.StartsWithSegments("/console", StringComparison.OrdinalIgnoreCase))
        {
            Response.Redirect(Request.PathBase + "/portal");
            return Task.CompletedTask;
        }

        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }
}
