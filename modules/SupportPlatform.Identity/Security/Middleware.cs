using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Api;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// CSRF protection: a POST, PUT, PATCH or DELETE authenticated by the sign-in cookie must carry the antiforgery token
/// (header <see cref="IdentitySchemes.AntiforgeryHeader"/>, from <c>GET /api/auth/antiforgery</c>). Bearer-token requests
/// cannot be forged by another site and need none; neither do anonymous endpoints (they do not act on the cookie).
/// SignalR hubs (<c>/hubs/*</c>) are exempt: their negotiate POST cannot carry the header from every transport; the
/// SameSite=Lax cookie keeps other sites from using the session there.
/// </summary>
internal sealed class CsrfMiddleware(RequestDelegate next, IAntiforgery antiforgery)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (NeedsCheck(context))
        {
            try
            {
                await antiforgery.ValidateRequestAsync(context);
            }
            catch (AntiforgeryValidationException)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await Results.Problem(new ProblemDetails
                {
                    Status = StatusCodes.Status403Forbidden,
                    Title = "Antiforgery token missing or invalid",
                    Detail = $"This request is authenticated by the sign-in cookie, so it needs the antiforgery token: GET /api/auth/antiforgery "
                        + $"(after signing in) and send its token in the {IdentitySchemes.AntiforgeryHeader} header.",
                    Type = "https://supportplatform.dev/problems/antiforgery",
                    Extensions = { ["code"] = "antiforgery" },
                }).ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    }

    private static bool NeedsCheck(HttpContext context) =>
        !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
        && !HttpMethods.IsOptions(context.Request.Method) && !HttpMethods.IsTrace(context.Request.Method)
        && context.User.Identity?.IsAuthenticated == true
        && context.User.Identity.AuthenticationType == IdentitySchemes.Cookie
        && !ApiTokenHandler.HasBearer(context.Request)
        && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null
        && !context.Request.Path.StartsWithSegments("/hubs", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The generic audit of administrative changes: every successful POST, PUT, PATCH or DELETE by staff under <c>/api</c>
/// is recorded with actor, method, route, the ids in the route and the status, stored (in a batch shared with
/// concurrent requests) before the answer is sent. Endpoints
/// that write their own, more precise entries (users, roles, tokens, sign-in) are marked <see cref="ExplicitlyAudited"/>.
/// </summary>
internal sealed partial class RequestAuditMiddleware(RequestDelegate next, AuditLog audit, ILogger<RequestAuditMiddleware> logger)
{
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(10);

    public Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method)
            && context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            // Before the answer leaves: the entry is stored (with its batch) before the caller learns the change succeeded.
            context.Response.OnStarting(() => AuditAsync(context));
        }

        return next(context);
    }

    private async Task AuditAsync(HttpContext context)
    {
        if (context.Response.StatusCode is < 200 or >= 300
            || !context.User.IsStaff()
            || context.GetEndpoint()?.Metadata.GetMetadata<ExplicitlyAudited>() is not null)
        {
            return;
        }

        var values = context.Request.RouteValues;
        var target = values.Count == 0 ? null : JsonSerializer.Serialize(values.ToDictionary(v => v.Key, v => v.Value?.ToString()));
        try
        {
            await audit.StoreInBatchAsync(audit.Entry(context, context.User, "request", target, null, context.Response.StatusCode), CancellationToken.None)
                .WaitAsync(StoreTimeout);
        }
        catch (TimeoutException)
        {
            // The database is failing; the change itself was stored. The entry stays queued and is written when it recovers.
            LogAuditSlow(logger, context.Request.Method, context.Request.Path, StoreTimeout);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The audit entry of {Method} {Path} was not stored within {Timeout}; answering anyway, it stays queued")]
    private static partial void LogAuditSlow(ILogger logger, string method, string path, TimeSpan timeout);
}
