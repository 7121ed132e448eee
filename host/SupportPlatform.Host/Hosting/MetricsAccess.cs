using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using SupportPlatform.Core.Security;

namespace SupportPlatform.Host.Hosting;

/// <summary>Who may read <c>/metrics</c> besides staff (section <c>SupportPlatform:Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "SupportPlatform:Metrics";

    /// <summary>
    /// A shared secret Prometheus sends as <c>Authorization: Bearer ...</c> (at least 32 characters), so the scraper
    /// needs no user account. Empty: only staff API tokens (and loopback, when allowed) are accepted.
    /// </summary>
    public string Token { get; set; } = string.Empty;

    /// <summary>Answer requests from this machine (127.0.0.1, ::1) without credentials, for a Prometheus on the same host.</summary>
    public bool AllowLoopback { get; set; }
}

/// <summary>
/// Guards <c>/metrics</c>: staff users as before, plus the configured scrape token or loopback. The endpoint itself is
/// anonymous to the authorization middleware so a scrape token never reaches the API-token handler.
/// </summary>
internal static class MetricsAccess
{
    public const string Path = "/metrics";

    public static void Validate(MetricsOptions options)
    {
        if (options.Token.Length is > 0 and < 32)
        {
            throw new SupportPlatform.Core.PlatformSettingsException([
                $"{MetricsOptions.Section}:Token is {options.Token.Length} characters long: use at least 32 random characters (e.g. openssl rand -hex 32), or leave it empty."]);
        }
    }

    public static IApplicationBuilder UseMetricsAccess(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (!http.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase))
        {
            await next(http);
            return;
        }

        var options = http.RequestServices.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (Allowed(http, options) || await IsStaffAsync(http))
        {
            await next(http);
            return;
        }

        var signedIn = http.User.Identity?.IsAuthenticated == true;
        http.Response.StatusCode = signedIn ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
        await Results.Problem(statusCode: http.Response.StatusCode, title: signedIn ? "Forbidden" : "Unauthorized",
            detail: "The metrics need a staff API token, the scrape token (SupportPlatform:Metrics:Token) as a bearer token, or a request from this machine when SupportPlatform:Metrics:AllowLoopback is true.")
            .ExecuteAsync(http);
    });

    private static bool Allowed(HttpContext http, MetricsOptions options)
    {
        if (options.AllowLoopback && http.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote))
        {
            return true;
        }

        var header = http.Request.Headers.Authorization.ToString();
        return options.Token.Length > 0 && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..].Trim()), Encoding.UTF8.GetBytes(options.Token));
    }

    private static async Task<bool> IsStaffAsync(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return false;
        }

        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        return (await authorization.AuthorizeAsync(http.User, PlatformPolicies.Staff)).Succeeded;
    }
}
