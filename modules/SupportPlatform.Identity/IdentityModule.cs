using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using SupportPlatform.Core;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Api;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Identity.Persistence;
using SupportPlatform.Identity.Security;

namespace SupportPlatform.Identity;

/// <summary>
/// Identity: who signs in (staff and client users), how (password, one-time email link, optional OpenID Connect, API
/// tokens), what they may do (the policies of <see cref="PlatformPolicies"/>, with <see cref="PlatformPolicies.Staff"/> as
/// the fallback for every endpoint that names none), and the protections around it (CSRF, rate limits, lockout, audit).
/// </summary>
public sealed class IdentityModule : IModule
{
    /// <inheritdoc />
    public string Name => "Identity";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var settings = IdentitySettings.Load(configuration);
        services.AddSingleton(settings);
        services.AddSingleton<UserStore>();
        services.AddSingleton<IUserDirectory>(sp => sp.GetRequiredService<UserStore>());
        services.AddSingleton<IClientUserProvisioning>(sp => sp.GetRequiredService<UserStore>());
        services.AddSingleton<SupportPlatform.Core.People.IContactDirectory, UserContactDirectory>();
        services.AddSingleton<TokenStore>();
        services.AddSingleton<LinkStore>();
        services.AddSingleton<AuditStore>();
        services.AddSingleton<SecretStore>();
        services.AddSingleton<TokenHasher>();
        services.AddSingleton<IdentityCache>();
        services.AddSingleton<UserCache>();
        services.AddSingleton<TokenUsage>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<UserAdmin>();
        services.AddSingleton<LinkMailer>();
        services.AddSingleton<IPasswordHasher<UserRecord>, PasswordHasher<UserRecord>>();
        services.AddSingleton<IHousekeepingTask, ExpiredLinksTask>();

        services.AddSingleton<IdentityStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<IdentityStartup>());
        services.AddSingleton<IdentityBackgroundWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<IdentityBackgroundWriter>());
        services.AddHealthChecks().Add(new HealthCheckRegistration("identity", sp => sp.GetRequiredService<IdentityStartup>(), HealthStatus.Unhealthy, ["ready"]));

        // One key ring for the whole cluster, in the database: cookies and antiforgery tokens work on every node.
        services.AddDataProtection().SetApplicationName("SupportPlatform");
        services.AddSingleton<DatabaseXmlRepository>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(options => options.XmlRepository = sp.GetRequiredService<DatabaseXmlRepository>()));

        AddAuthentication(services, settings);
        services.AddAuthorization(options =>
        {
            var staff = new AuthorizationPolicyBuilder().RequireAuthenticatedUser()
                .RequireClaim(PlatformClaims.Kind, PlatformClaims.StaffKind).RequireRole(PlatformRoles.Agent).Build();
            options.AddPolicy(PlatformPolicies.Staff, staff);
            options.AddPolicy(PlatformPolicies.Senior, policy => policy.Combine(staff).RequireRole(PlatformRoles.Senior));
            options.AddPolicy(PlatformPolicies.Admin, policy => policy.Combine(staff).RequireRole(PlatformRoles.Admin));
            options.AddPolicy(PlatformPolicies.Client, policy => policy.RequireAuthenticatedUser().RequireClaim(PlatformClaims.Kind, PlatformClaims.ClientKind));
            options.AddPolicy(PlatformPolicies.SignedIn, policy => policy.RequireAuthenticatedUser());
            // An endpoint that names no policy is for staff: a new endpoint is never open to clients or anonymous callers by accident.
            options.FallbackPolicy = staff;
        });
        services.AddAntiforgery(options =>
        {
            options.HeaderName = IdentitySchemes.AntiforgeryHeader;
            options.Cookie.Name = "sp.csrf";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = settings.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });
        services.AddIdentityRateLimits(settings);
        services.Configure<OpenApiOptions>("v1", OpenApiSecurity.Configure);
    }

    /// <inheritdoc />
    public void ConfigurePipeline(IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseMiddleware<CsrfMiddleware>();
        app.UseMiddleware<RequestAuditMiddleware>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        var settings = endpoints.ServiceProvider.GetRequiredService<IdentitySettings>();
        endpoints.MapAuthApi(settings);
        endpoints.MapSetupApi();
        endpoints.MapMeApi();
        endpoints.MapStaffApi();
        endpoints.MapClientUsersApi();
        endpoints.MapAuditApi();
    }

    private static void AddAuthentication(IServiceCollection services, IdentitySettings settings)
    {
        var authentication = services.AddAuthentication(IdentitySchemes.Platform)
            .AddPolicyScheme(IdentitySchemes.Platform, "Cookie or API token", options =>
                options.ForwardDefaultSelector = http => ApiTokenHandler.HasBearer(http.Request) ? IdentitySchemes.Token : IdentitySchemes.Cookie)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(IdentitySchemes.Token, "API token", null)
            .AddCookie(IdentitySchemes.Cookie, options =>
            {
                options.Cookie.Name = IdentitySchemes.CookieName;
                options.Cookie.HttpOnly = true;
                // Lax: the cookie goes with a top-level navigation from a mail link, never with another site's POST.
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = settings.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = settings.CookieLifetime;
                options.SlidingExpiration = true;
                options.LoginPath = "/signin";
                options.ReturnUrlParameter = "returnUrl";
                options.Events.OnRedirectToLogin = context => IsPage(context.Request)
                    ? Redirect(context)
                    : Problem(context.HttpContext, StatusCodes.Status401Unauthorized, "unauthorized",
                        "Sign in first (POST /api/auth/signin) or send 'Authorization: Bearer <token>' with an API token.");
                options.Events.OnRedirectToAccessDenied = context =>
                    Problem(context.HttpContext, StatusCodes.Status403Forbidden, "forbidden", "You are signed in, but your role does not allow this.");
                options.Events.OnValidatePrincipal = ValidateCookieAsync;
            });

        if (settings.Oidc is { } oidc)
        {
            authentication.AddOpenIdConnect(IdentitySchemes.Oidc, oidc.DisplayName, options =>
            {
                options.Authority = oidc.Authority;
                options.ClientId = oidc.ClientId;
                options.ClientSecret = oidc.ClientSecret;
                options.ResponseType = "code";
                options.UsePkce = true;
                options.CallbackPath = oidc.CallbackPath;
                options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                options.SignInScheme = IdentitySchemes.Cookie;
                options.SaveTokens = false;
                options.MapInboundClaims = false;
                // The id token must carry the email claim: the principal is replaced as soon as the token is validated.
                options.GetClaimsFromUserInfoEndpoint = false;
                options.Scope.Clear();
                foreach (var scope in oidc.Scopes)
                {
                    options.Scope.Add(scope);
                }

                // The provider answers with a top-level GET redirect (the code in the query) rather than the default
                // cross-site form POST: the correlation and nonce cookies can then be SameSite=Lax, which browsers also
                // keep on a plain-http host (they refuse SameSite=None without Secure, and a Secure cookie is never sent
                // back over http, so the default cookies broke sign-in on an http address: "Correlation failed").
                options.ResponseMode = OpenIdConnectResponseMode.Query;
                foreach (var cookie in new[] { options.CorrelationCookie, options.NonceCookie })
                {
                    cookie.SameSite = SameSiteMode.Lax;
                    cookie.SecurePolicy = settings.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                }

                options.Events.OnTokenValidated = context => OidcSignedInAsync(context, oidc);
                options.Events.OnRemoteFailure = OidcFailedAsync;
            });
        }
    }

    /// <summary>A browser asking for a page (redirect to /signin) rather than an API client (401 problem).</summary>
    private static bool IsPage(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/hubs") && !request.Path.StartsWithSegments("/openapi")
        && !request.Path.StartsWithSegments("/metrics") && !request.Path.StartsWithSegments("/health")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static Task Problem(HttpContext http, int status, string code, string detail)
    {
        http.Response.StatusCode = status;
        return Results.Problem(new ProblemDetails
        {
            Status = status,
            Title = status == StatusCodes.Status401Unauthorized ? "Unauthorized" : "Forbidden",
            Detail = detail,
            Type = $"https://supportplatform.dev/problems/{code}",
            Extensions = { ["code"] = code },
        }).ExecuteAsync(http);
    }

    /// <summary>A cookie stays valid only while its user is active and has the same security stamp (password, role, deactivation).</summary>
    private static async Task ValidateCookieAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = context.Principal?.FindFirstValue(PrincipalFactory.Stamp);
        var user = id is null ? null : await context.HttpContext.RequestServices.GetRequiredService<UserCache>().GetAsync(id, context.HttpContext.RequestAborted);
        if (user is not { Active: true } || user.SecurityStamp != stamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentitySchemes.Cookie);
        }
    }

    private static async Task OidcSignedInAsync(Microsoft.AspNetCore.Authentication.OpenIdConnect.TokenValidatedContext context, OidcSettings oidc)
    {
        var services = context.HttpContext.RequestServices;
        var audit = services.GetRequiredService<AuditLog>();
        var principal = context.Principal;
        var claimed = principal?.FindFirstValue(oidc.EmailClaim) ?? principal?.FindFirstValue(ClaimTypes.Email);
        var email = IdentitySettings.NormalizeEmail(claimed);
        var subject = principal?.FindFirstValue("sub") ?? principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        OidcRefusal? refusal = null;
        UserRecord? user = null;
        if (email is null)
        {
            refusal = new OidcRefusal(OidcRefusal.NoEmail, string.IsNullOrWhiteSpace(claimed)
                ? $"the provider's id token for subject '{subject}' has no '{oidc.EmailClaim}' claim (SupportPlatform:Identity:Oidc:EmailClaim)"
                : $"the provider's '{oidc.EmailClaim}' claim '{claimed}' is not an email address");
        }
        else if (principal?.FindFirstValue("email_verified") is { } verified && string.Equals(verified, "false", StringComparison.OrdinalIgnoreCase))
        {
            refusal = new OidcRefusal(OidcRefusal.EmailUnverified, $"the provider says the email '{claimed}' is not verified");
        }
        else
        {
            user = await services.GetRequiredService<UserStore>().FindByEmailAsync(email, context.HttpContext.RequestAborted);
            refusal = user switch
            {
                null or { IsStaff: false } => new OidcRefusal(OidcRefusal.NoStaffUser, $"no staff user has the email '{email}'; an administrator must create one first"),
                { Active: false } => new OidcRefusal(OidcRefusal.Deactivated, $"the staff user '{user.Id}' with the email '{email}' is deactivated"),
                _ => null,
            };
        }

        if (refusal is not null)
        {
            // Refused before any session exists: nothing is created, and the audit log says who tried and why.
            await audit.WriteAsync(context.HttpContext, "signin.failed", user is { IsStaff: true } ? user.Id : null, $"single sign-on refused: {refusal.Message}",
                new ClaimsPrincipal());
            context.Fail(refusal);
            return;
        }

        await services.GetRequiredService<UserStore>().RecordSuccessAsync(user!.Id, context.HttpContext.RequestAborted);
        context.Principal = PrincipalFactory.Create(user, IdentitySchemes.Cookie, "oidc");
        await audit.WriteAsync(context.HttpContext, "signin.succeeded", user.Id, $"single sign-on for {user.Email}", context.Principal);
    }

    /// <summary>
    /// Any failure of the sign-in at the callback (refused user, the provider's error answer, a wrong or replayed state,
    /// a token that does not validate) ends on the sign-in page with a reason code it explains, never in a 500; the log
    /// keeps the details of failures that are not a refused user.
    /// </summary>
    private static Task OidcFailedAsync(RemoteFailureContext context)
    {
        var code = context.Failure is OidcRefusal refusal ? refusal.Code : OidcRefusal.Failed;
        if (context.Failure is not OidcRefusal)
        {
            context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>()
                .CreateLogger("SupportPlatform.Identity.Oidc")
                .LogWarning(context.Failure, "Single sign-on failed at {Path}: {Reason}", context.Request.Path.Value, context.Failure?.Message);
        }

        context.Response.Redirect("/signin?error=" + code);
        context.HandleResponse();
        return Task.CompletedTask;
    }

    /// <summary>Why a provider's user may not sign in; <see cref="Code"/> goes to the sign-in page (<c>/signin?error=</c>).</summary>
    private sealed class OidcRefusal(string code, string message) : Exception(message)
    {
        public const string Failed = "sso-failed";
        public const string NoEmail = "sso-no-email";
        public const string EmailUnverified = "sso-email-unverified";
        public const string NoStaffUser = "sso-no-staff-user";
        public const string Deactivated = "sso-deactivated";

        public string Code { get; } = code;
    }
}
