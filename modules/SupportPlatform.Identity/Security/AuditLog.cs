using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Writes audit entries. Security events (sign-ins, user, role and token changes) are written one by one before the
/// request answers. The per-request entries of the audit middleware are written in batches by
/// <see cref="IdentityBackgroundWriter"/> (many concurrent requests share one insert) and each request waits for its
/// batch before it answers, so an answered change always has its entry, also after a crash.
/// </summary>
internal sealed class AuditLog(AuditStore store, TimeProvider clock)
{
    private readonly Channel<PendingAudit> queue = Channel.CreateBounded<PendingAudit>(new BoundedChannelOptions(100_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    public ChannelReader<PendingAudit> Queued => queue.Reader;

    /// <summary>Writes one entry now, by <paramref name="user"/> (the caller) from <paramref name="http"/>.</summary>
    public Task WriteAsync(HttpContext http, string action, string? target, string? detail = null, ClaimsPrincipal? user = null) =>
        store.WriteAsync([Entry(http, user ?? http.User, action, target, detail)], CancellationToken.None);

    /// <summary>Queues an entry for the next batch; the task completes once that batch is stored.</summary>
    public async Task StoreInBatchAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var pending = new PendingAudit(entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await queue.Writer.WriteAsync(pending, cancellationToken);
        await pending.Stored.Task.WaitAsync(cancellationToken);
    }

    public AuditEntry Entry(HttpContext http, ClaimsPrincipal user, string action, string? target, string? detail, int? status = null) => new(
        clock.GetUtcNow(),
        user.IsStaff() ? PlatformClaims.StaffKind : user.IsClientUser() ? PlatformClaims.ClientKind : "anonymous",
        user.UserId(),
        user.Identity?.IsAuthenticated == true ? user.DisplayName() : null,
        action,
        http.Request.Method,
        (http.GetEndpoint() as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value,
        target,
        status,
        http.Connection.RemoteIpAddress?.ToString(),
        detail);
}

/// <summary>An entry waiting for its batch, and the signal its request waits on.</summary>
internal sealed record PendingAudit(AuditEntry Entry, TaskCompletionSource Stored);
