using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Writes audit entries. Security events (sign-ins, user, role and token changes) are written before the request
/// answers; the per-request entries of the audit middleware are queued and written in batches by
/// <see cref="IdentityBackgroundWriter"/>, so auditing costs a mutating request no extra round trip.
/// </summary>
internal sealed class AuditLog(AuditStore store, TimeProvider clock)
{
    private readonly Channel<AuditEntry> queue = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(100_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    public ChannelReader<AuditEntry> Queued => queue.Reader;

    /// <summary>Writes one entry now, by <paramref name="user"/> (the caller) from <paramref name="http"/>.</summary>
    public Task WriteAsync(HttpContext http, string action, string? target, string? detail = null, ClaimsPrincipal? user = null) =>
        store.WriteAsync([Entry(http, user ?? http.User, action, target, detail)], CancellationToken.None);

    /// <summary>Queues an entry for the next batch.</summary>
    public ValueTask EnqueueAsync(AuditEntry entry) => queue.Writer.WriteAsync(entry);

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
