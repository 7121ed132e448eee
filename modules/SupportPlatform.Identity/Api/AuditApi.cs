using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Api;

/// <summary><c>GET /api/admin/audit</c>: the audit log, newest first, for admins.</summary>
internal static class AuditApi
{
    private const int MaxPageSize = 500;

    public static void MapAuditApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/admin/audit", Query).RequireAuthorization(PlatformPolicies.Admin).WithTags("Audit")
            .WithName("GetAuditLog")
            .WithSummary("Sign-ins (success and failure, with IP) and administrative changes, newest first. Filters: actorId, action (e.g. 'signin' or 'signin.failed'), target, from, to (ISO times); page, pageSize.");

    private static async Task<IResult> Query(
        HttpContext http,
        AuditStore store,
        [FromQuery] string? actorId,
        [FromQuery] string? action,
        [FromQuery] string? target,
        [FromQuery] DateTimeOffset? from,
        [FromQuery] DateTimeOffset? to,
        [FromQuery] int? page,
        [FromQuery] int? pageSize)
    {
        var errors = new Dictionary<string, string[]>();
        if (page is < 1)
        {
            errors["page"] = ["Pages are numbered from 1."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        if (from is not null && to is not null && from >= to)
        {
            errors["to"] = ["'to' must be after 'from'."];
        }

        if (errors.Count > 0)
        {
            return ApiResults.Invalid(errors);
        }

        var filter = new AuditFilter(Blank(actorId), Blank(action), Blank(target), from, to);
        var (items, total) = await store.QueryAsync(filter, page ?? 1, pageSize ?? 50, http.RequestAborted);
        return TypedResults.Ok(new ResultPage<AuditEntry>(items, page ?? 1, pageSize ?? 50, total));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
