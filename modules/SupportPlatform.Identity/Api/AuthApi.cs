using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Core.Mail;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;
using SupportPlatform.Identity.Security;

namespace SupportPlatform.Identity.Api;

/// <summary>Sign-in and sign-out: password, one-time email link, OpenID Connect; the antiforgery token.</summary>
internal static class AuthApi
{
    public const string SignInLinkPurpose = "sign-in-link";
    public const string InvitationPurpose = "invitation";

    public static void MapAuthApi(this IEndpointRouteBuilder endpoints, IdentitySettings settings)
    {
        var auth = endpoints.MapGroup("/api/auth").WithTags("Sign-in").WithMetadata(ExplicitlyAudited.Instance);
        auth.MapPost("/signin", SignIn).AllowAnonymous().RequireRateLimiting(RateLimits.SignIn)
            .WithName("SignIn")
            .WithSummary("Signs in with email and password: sets the HttpOnly auth cookie and returns the user (as GET /api/me). 401 on a wrong email or password, 423 while locked out, 429 when rate-limited.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status423Locked)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        auth.MapPost("/signout", SignOut).RequireAuthorization(PlatformPolicies.SignedIn)
            .WithName("SignOut").WithSummary("Signs out: removes the auth cookie.");
        auth.MapPost("/link", RequestLink).AllowAnonymous().RequireRateLimiting(RateLimits.Link)
            .WithName("RequestSignInLink")
            .WithSummary("Mails a one-time sign-in link to a client user. Always 202, whether or not the address is known; 503 when mail is not configured.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        auth.MapGet("/methods", (IdentitySettings identity) => TypedResults.Ok(new SignInMethods(
                identity.Oidc is { } oidc ? new SingleSignOnMethod("/auth/oidc", oidc.DisplayName) : null)))
            .AllowAnonymous().RequireRateLimiting(RateLimits.Public)
            .WithName("GetSignInMethods")
            .WithSummary("How one signs in here, for the sign-in page: singleSignOn (the URL that starts it and the provider's display name, SupportPlatform:Identity:Oidc:DisplayName) when OpenID Connect is configured, else null.");
        auth.MapGet("/antiforgery", Antiforgery).AllowAnonymous().RequireRateLimiting(RateLimits.Public)
            .WithName("GetAntiforgeryToken")
            .WithSummary("The antiforgery token for cookie-authenticated POST, PUT, PATCH and DELETE requests: send it in the header named headerName. Ask again after signing in.");

        // Opening a link (GET) only shows a button; pressing it (POST) uses the link. Mail security scanners
        // (Safe Links and the like) open every link in a message before its reader does: a GET that signed in would
        // spend the one-time link on the scanner.
        endpoints.MapGet("/auth/link/{token}", LinkPage).AllowAnonymous().RequireRateLimiting(RateLimits.Public)
            .WithTags("Sign-in")
            .WithName("OpenSignInLink")
            .WithSummary("The page a mailed sign-in link opens: a button that redeems it (POST). Opening it does not use the link.");
        endpoints.MapPost("/auth/link/{token}", RedeemLink).AllowAnonymous().RequireRateLimiting(RateLimits.Public)
            .WithTags("Sign-in").WithMetadata(ExplicitlyAudited.Instance)
            .DisableAntiforgery()
            .WithName("RedeemSignInLink")
            .WithSummary("Redeems a one-time sign-in link (the form of GET /auth/link/{token}): sets the auth cookie and redirects to /portal (to /signin?error=link-invalid when it is used, expired or unknown; 403 from another site).");

        if (settings.Oidc is not null)
        {
            endpoints.MapGet("/auth/oidc", StartOidc)
                .AllowAnonymous().RequireRateLimiting(RateLimits.Public)
                .WithTags("Sign-in").WithName("SignInWithOidc")
                .WithSummary("Starts single sign-on with the configured OpenID Connect provider (staff; matched to a staff user by email).");
        }
    }

    /// <summary>
    /// Sends the browser to the provider. Its discovery document is read first (cached by the handler): when the provider
    /// cannot be reached or answers nonsense, the browser lands on the sign-in page with a reason instead of a 500.
    /// </summary>
    private static async Task<IResult> StartOidc(string? returnUrl, HttpContext http, IOptionsMonitor<OpenIdConnectOptions> oidc, ILoggerFactory logs)
    {
        var options = oidc.Get(IdentitySchemes.Oidc);
        try
        {
            if (options.ConfigurationManager is { } discovery)
            {
                await discovery.GetConfigurationAsync(http.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException)
        {
            logs.CreateLogger("SupportPlatform.Identity.Oidc").LogWarning(ex,
                "Single sign-on is unavailable: the provider's discovery document {Address} could not be read ({Reason}); check SupportPlatform:Identity:Oidc:Authority.",
                options.MetadataAddress ?? options.Authority + "/.well-known/openid-configuration", ex.Message);
            return Results.Redirect("/signin?error=sso-unavailable");
        }

        return Results.Challenge(new AuthenticationProperties { RedirectUri = LocalUrl(returnUrl, "/console") }, [IdentitySchemes.Oidc]);
    }

    /// <summary><paramref name="url"/> when it is a local path ("/console/x"), else <paramref name="fallback"/>: no open redirects.</summary>
    public static string LocalUrl(string? url, string fallback) =>
        url is { Length: > 1 } && url[0] == '/' && url[1] != '/' && url[1] != '\\' ? url : fallback;

    private static async Task<IResult> SignIn(SignInRequest request, HttpContext http, UserAdmin admin, AuditLog audit, IdentitySettings settings, TimeProvider clock)
    {
        var email = IdentitySettings.NormalizeEmail(request.Email);
        if (email is null || string.IsNullOrEmpty(request.Password))
        {
            return ApiResults.Invalid(new Dictionary<string, string[]>
            {
                [email is null ? "email" : "password"] = [email is null ? "Give the email address you were invited with." : "Give your password."],
            });
        }

        var ct = http.RequestAborted;
        var user = await admin.Store.FindByEmailAsync(email, ct);
        var now = clock.GetUtcNow();
        if (user is { Active: true, LockedUntil: { } until } && until > now)
        {
            await audit.WriteAsync(http, "signin.locked", user.Id, $"password sign-in refused for {email}: locked until {until:u}");
            return Locked(until, now);
        }

        var valid = await admin.CheckPasswordAsync(user is { Active: true } ? user : null, request.Password, ct);
        if (!valid || user is null)
        {
            DateTimeOffset? lockedNow = null;
            if (user is { Active: true })
            {
                lockedNow = await admin.Store.RecordFailureAsync(user.Id, settings.LockoutMaxFailures, now + settings.LockoutDuration, ct);
            }

            var why = user is null ? "unknown email" : !user.Active ? "deactivated user" : user.PasswordHash is null ? "no password set" : "wrong password";
            await audit.WriteAsync(http, "signin.failed", user?.Id, $"password sign-in for {email}: {why}" + (lockedNow is null ? "" : $"; locked until {lockedNow:u}"));
            return lockedNow is { } l
                ? Locked(l, now)
                : ApiResults.Problem(StatusCodes.Status401Unauthorized, "invalid-credentials", "The email or password is wrong.");
        }

        await admin.Store.RecordSuccessAsync(user.Id, ct);
        await admin.SignInAsync(http, user, "password");
        await audit.WriteAsync(http, "signin.succeeded", user.Id, $"password sign-in for {email}");
        return TypedResults.Ok(UserAdmin.Me(user, http.User));
    }

    private static IResult Locked(DateTimeOffset until, DateTimeOffset now)
    {
        var wait = until - now;
        var minutes = Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes));
        return ApiResults.Problem(
            StatusCodes.Status423Locked,
            "locked-out",
            $"Too many failed sign-ins: this account is locked until {until.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC "
            + $"(about {minutes} minute{(minutes == 1 ? "" : "s")}). Try again then, or ask an administrator to reset the password.",
            new Dictionary<string, object?> { ["retryAt"] = until, ["retryAfterSeconds"] = (int)Math.Ceiling(wait.TotalSeconds) });
    }

    private static async Task<IResult> SignOut(HttpContext http, AuditLog audit)
    {
        await http.SignOutAsync(IdentitySchemes.Cookie);
        await audit.WriteAsync(http, "signout", http.User.UserId());
        return TypedResults.NoContent();
    }

    private static async Task<IResult> RequestLink(
        LinkRequest request, HttpContext http, UserStore users, LinkMailer mailer, AuditLog audit)
    {
        var mail = http.RequestServices.GetService<IOutboundMail>();
        if (mail is null)
        {
            return ApiResults.Problem(StatusCodes.Status503ServiceUnavailable, "mail-not-configured",
                "Sign-in links cannot be sent: mail is not configured on this server. Sign in with your password, or ask your administrator to set up outgoing mail.");
        }

        var email = IdentitySettings.NormalizeEmail(request.Email);
        if (email is null)
        {
            return ApiResults.Invalid("email", $"'{request.Email}' is not an email address; expected name@domain.");
        }

        var user = await users.FindByEmailAsync(email, http.RequestAborted);
        if (user is { Active: true, Kind: PlatformClaims.ClientKind })
        {
            await mailer.SendAsync(mail, user, SignInLinkPurpose, http.RequestAborted);
            await audit.WriteAsync(http, "link.sent", user.Id, $"sign-in link mailed to {email}");
        }
        else
        {
            await audit.WriteAsync(http, "link.refused", user?.Id, $"sign-in link for {email}: {(user is null ? "unknown email" : !user.Active ? "deactivated user" : "staff sign in with a password")}");
        }

        // The same answer either way: the endpoint does not tell who has an account.
        return TypedResults.Accepted((string?)null, new { status = "If this address belongs to a client user, a sign-in link is on its way." });
    }

    private static IResult LinkPage(string token, HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        var action = System.Net.WebUtility.HtmlEncode("/auth/link/" + Uri.EscapeDataString(token));
        return Results.Content(
            $"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <meta name="referrer" content="no-referrer">
              <title>Sign in · SupportPlatform</title>
              <link rel="stylesheet" href="/web/css/app.css">
            </head>
            <body>
              <header class="bar"><span class="brand">SupportPlatform</span></header>
              <main id="main">
                <h1>Sign in</h1>
                <form class="panel" method="post" action="{action}">
                  <p>This link signs you in once. Press the button to continue.</p>
                  <button type="submit">Sign in</button>
                </form>
              </main>
            </body>
            </html>
            """,
            "text/html; charset=utf-8");
    }

    private static async Task<IResult> RedeemLink(string token, HttpContext http, TokenHasher hasher, LinkStore links, UserStore users, UserAdmin admin, AuditLog audit, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        if (!IsSameSite(http.Request))
        {
            // Another site's form posting a link of its own would sign the visitor in as someone else (login CSRF).
            await audit.WriteAsync(http, "signin.failed", null, $"sign-in link posted from another site ({http.Request.Headers.Origin})");
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Sign-in link used from another site",
                detail: "A sign-in link can only be used from the page it opens. Open the link from your email again.");
        }

        var userId = token.Length is > 10 and < 200 ? await links.RedeemAsync(await hasher.HashAsync(token, ct), clock.GetUtcNow(), ct) : null;
        var user = userId is null ? null : await users.FindAsync(userId, ct);
        if (user is not { Active: true })
        {
            await audit.WriteAsync(http, "signin.failed", userId, userId is null ? "sign-in link unknown, used or expired" : "sign-in link of a deactivated user");
            return Results.Redirect("/signin?error=link-invalid");
        }

        await admin.SignInAsync(http, user, "link");
        await audit.WriteAsync(http, "signin.succeeded", user.Id, $"sign-in link for {user.Email}");
        return Results.Redirect(user.IsStaff ? "/console" : "/portal");
    }

    /// <summary>
    /// Whether a form post comes from this site: browsers send <c>Sec-Fetch-Site</c> (same-origin) and <c>Origin</c>
    /// on form posts; a request with neither (a script, a test client) is not a cross-site browser request.
    /// </summary>
    private static bool IsSameSite(HttpRequest request)
    {
        if (request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site)
        {
            return site is "same-origin" or "none";
        }

        // The authority only: behind a TLS-terminating proxy the scheme seen here differs from the browser's.
        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0
            || (Uri.TryCreate(origin, UriKind.Absolute, out var from) && string.Equals(from.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    private static IResult Antiforgery(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return TypedResults.Ok(new AntiforgeryView(tokens.HeaderName ?? IdentitySchemes.AntiforgeryHeader, tokens.RequestToken ?? ""));
    }
}

internal sealed record SignInRequest(string? Email, string? Password);

internal sealed record LinkRequest(string? Email);

internal sealed record AntiforgeryView(string HeaderName, string Token);

/// <summary>The sign-in methods the sign-in page offers besides email and password.</summary>
internal sealed record SignInMethods(SingleSignOnMethod? SingleSignOn);

/// <summary>Single sign-on: where it starts (add <c>?returnUrl=</c>) and what to call it.</summary>
internal sealed record SingleSignOnMethod(string Url, string Name);
