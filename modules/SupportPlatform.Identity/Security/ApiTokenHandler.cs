using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;token&gt;</c> with a personal API token: one HMAC of the token, then a
/// lookup by that hash (cached briefly), never a password hash per request. The principal gets the token's role, capped
/// at the owner's current role; a deactivated owner, a revoked or an expired token fails with a problem saying which.
/// </summary>
internal sealed class ApiTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenHasher hasher,
    TokenStore tokens,
    UserCache users,
    TokenUsage usage,
    IdentityCache identityCache,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>How long a verified token stays cached; a revocation on another node takes effect within this time.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(15);

    private readonly MemoryCache cache = identityCache.Cache;
    private string? failure;

    public static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    public static string CacheKey(string hash) => "sp:token:" + hash;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = header["Bearer ".Length..].Trim();
        if (token.Length is < 10 or > 200)
        {
            return Fail("The bearer token is malformed; send 'Authorization: Bearer <token>' with a token from POST /api/me/tokens.");
        }

        var hash = await hasher.HashAsync(token, Context.RequestAborted);
        var key = CacheKey(hash);
        if (!cache.TryGetValue(key, out TokenRecord? record))
        {
            record = await tokens.FindByHashAsync(hash, Context.RequestAborted);
            cache.Set(key, record, CacheLifetime);
        }

        var now = clock.GetUtcNow();
        if (record is null || record.RevokedAt is not null)
        {
            return Fail("The API token is unknown or revoked.");
        }

        if (record.ExpiresAt is { } expires && expires <= now)
        {
            return Fail($"The API token '{record.Name}' expired at {expires:u}; create a new one with POST /api/me/tokens.");
        }

        var owner = await users.GetAsync(record.UserId, Context.RequestAborted);
        if (owner is not { Active: true })
        {
            return Fail("The API token's user is deactivated.");
        }

        if (PlatformRoles.IsStaff(record.Role) != owner.IsStaff)
        {
            return Fail("The API token's role does not fit its user any more.");
        }

        usage.Touch(record.Id, now);
        var principal = PrincipalFactory.Create(owner, Scheme.Name, "token", record.Role, record.Id);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status401Unauthorized,
            Title = "Unauthorized",
            Detail = failure ?? "Sign in first (POST /api/auth/signin) or send 'Authorization: Bearer <token>'.",
            Type = "https://supportplatform.dev/problems/unauthorized",
            Extensions = { ["code"] = "unauthorized" },
        }).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Forbidden",
            Detail = "Your API token's role does not allow this.",
            Type = "https://supportplatform.dev/problems/forbidden",
            Extensions = { ["code"] = "forbidden" },
        }).ExecuteAsync(Context);
    }

    private AuthenticateResult Fail(string message)
    {
        failure = message;
        return AuthenticateResult.Fail(message);
    }
}
