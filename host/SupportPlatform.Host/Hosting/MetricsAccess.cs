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
/// The <c>metrics</c> policy of <c>/metrics</c>: staff users as before, plus the configured scrape token or loopback.
/// A scrape token is not an API token: the token handler finds it unknown, and this requirement accepts it.
/// </summary>
internal sealed class MetricsAccess(IOptions<MetricsOptions> options) : AuthorizationHandler<MetricsAccess.Requirement>
{
    public const string Path = "/metrics";
    public const string Policy = "metrics";

    public static void Validate(MetricsOptions options)
    {
        if (options.Token.Length is > 0 and < 32)
        {
            throw new SupportPlatform.Core.PlatformSettingsException([
                $"{MetricsOptions.Section}:Token is {options.Token.Length} characters long: use at least 32 random characters (e.g. openssl rand -hex 32), or leave it empty."]);
        }
    }

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, Requirement requirement)
    {
        if (context.Resource is not HttpContext http)
        {
            return;
        }

        if (Allowed(http, options.Value)
            || (context.User.Identity?.IsAuthenticated == true
                && (await http.RequestServices.GetRequiredService<IAuthorizationService>().AuthorizeAsync(context.User, PlatformPolicies.Staff)).Succeeded))
        {
            context.Succeed(requirement);
        }
    }

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

    /// <summary>Staff, the scrape token, or loopback when allowed.</summary>
    internal sealed class Requirement : IAuthorizationRequirement;
}
