using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// At start (after the schema migration): on a fresh install with no staff user, creates the first admin from
/// <c>SupportPlatform:Identity:BootstrapAdmin</c>, or else logs a one-time setup token for <c>POST /api/setup</c>.
/// Readiness stays unhealthy until this has run, so nobody signs in before the first admin exists.
/// </summary>
internal sealed partial class IdentityStartup(
    UserAdmin admin, SecretStore secrets, TokenHasher hasher, AuditStore audit, IdentitySettings settings, TimeProvider clock, ILogger<IdentityStartup> logger)
    : IHostedService, IHealthCheck
{
    public const string FirstAdminId = "admin";
    private volatile bool ready;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await hasher.KeyAsync(cancellationToken);
        if (await admin.Store.AnyStaffAsync(cancellationToken))
        {
            await secrets.DeleteAsync(SecretStore.SetupToken, cancellationToken);
        }
        else if (settings.BootstrapAdmin is { } bootstrap)
        {
            var (user, _) = await admin.CreateAsync(PlatformClaims.StaffKind, FirstAdminId, bootstrap.Email, bootstrap.Name, PlatformRoles.Admin, null, false, bootstrap.Password, cancellationToken);
            if (user is not null)
            {
                await audit.WriteAsync([new AuditEntry(clock.GetUtcNow(), "system", null, "configuration", "staff.created", Target: user.Id,
                    Detail: $"first admin {user.Email} from SupportPlatform:Identity:BootstrapAdmin")], cancellationToken);
                LogBootstrapped(logger, user.Email);
            }
        }
        else
        {
            var token = await secrets.GetOrCreateAsync(SecretStore.SetupToken, () => TokenHasher.NewToken("sps_"), cancellationToken);
            LogSetupToken(logger, token);
        }

        ready = true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(ready ? HealthCheckResult.Healthy("users ready") : HealthCheckResult.Unhealthy("identity start-up has not finished"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first administrator {Email} from SupportPlatform:Identity:BootstrapAdmin; sign in with that email and password")]
    private static partial void LogBootstrapped(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No administrator exists yet. Create the first one with: curl -X POST <url>/api/setup -H 'Content-Type: application/json' -d '{{\"token\":\"{Token}\",\"email\":\"you@example.com\",\"password\":\"at least 12 characters\",\"name\":\"Your Name\"}}' (or set SupportPlatform:Identity:BootstrapAdmin:Email and :Password and restart)")]
    private static partial void LogSetupToken(ILogger logger, string token);
}
