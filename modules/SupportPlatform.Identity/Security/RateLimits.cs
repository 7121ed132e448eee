using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Rate limits of the endpoints anyone can call, per client IP address and per minute (fixed windows):
/// sign-in, sign-in link requests, and the other public endpoints (setup, link redemption, antiforgery).
/// Password guessing against one user is stopped by the lockout; these stop one address trying many users.
/// </summary>
internal static class RateLimits
{
    public const string SignIn = "signin";
    public const string Link = "signin-link";
    public const string Public = "public";

    public static IServiceCollection AddIdentityRateLimits(this IServiceCollection services, IdentitySettings settings) =>
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(SignIn, http => PerAddress(http, SignIn, settings.SignInPerMinute));
            options.AddPolicy(Link, http => PerAddress(http, Link, settings.LinkPerMinute));
            options.AddPolicy(Public, http => PerAddress(http, Public, settings.PublicPerMinute));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
                var http = context.HttpContext;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(new ProblemDetails
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many requests",
                    Detail = $"Too many requests from your address to this endpoint; try again in {seconds} seconds.",
                    Type = "https://supportplatform.dev/problems/rate-limited",
                    Extensions = { ["code"] = "rate-limited", ["retryAfterSeconds"] = seconds },
                }).ExecuteAsync(http);
            };
        });

    private static RateLimitPartition<string> PerAddress(HttpContext http, string policy, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(
            policy + "|" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true });
}
