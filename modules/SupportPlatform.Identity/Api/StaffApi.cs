using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;
using SupportPlatform.Identity.Security;

namespace SupportPlatform.Identity.Api;

/// <summary>Staff users (admins only): <c>/api/staff</c>.</summary>
internal static class StaffApi
{
    public static void MapStaffApi(this IEndpointRouteBuilder endpoints)
    {
        var staff = endpoints.MapGroup("/api/staff").WithTags("Users").RequireAuthorization(PlatformPolicies.Admin).WithMetadata(ExplicitlyAudited.Instance);
        staff.MapPost("/", Create).WithName("CreateStaffUser")
            .WithSummary("Creates a staff user: email, name, role (admin, senior or agent), optional id and password (without one, the user signs in through single sign-on or after a reset).");
        staff.MapGet("/", async (HttpContext http, UserStore users, TimeProvider clock) =>
                TypedResults.Ok((await users.ListAsync(PlatformClaims.StaffKind, null, http.RequestAborted)).Select(u => UserView.From(u, clock.GetUtcNow())).ToList()))
            .WithName("ListStaffUsers").WithSummary("Every staff user, active and deactivated.");
        staff.MapGet("/{id}", async (string id, HttpContext http, UserStore users, TimeProvider clock) =>
                await users.FindAsync(id, http.RequestAborted) is { IsStaff: true } user ? Results.Ok(UserView.From(user, clock.GetUtcNow())) : NotFound(id))
            .WithName("GetStaffUser").WithSummary("One staff user.");
        staff.MapPatch("/{id}", Update).WithName("UpdateStaffUser")
            .WithSummary("Changes a staff user's name, role or active flag. Deactivating signs the user out and stops their API tokens; the last active admin cannot be demoted or deactivated.");
        staff.MapPost("/{id}/password", ResetPassword).WithName("ResetStaffPassword")
            .WithSummary("Sets a new password for a staff user, clears a lockout and signs out their browser sessions.");
    }

    private static IResult NotFound(string id) => ApiResults.NotFound($"Staff user '{id}' does not exist.");

    private static async Task<IResult> Create(StaffCreateRequest request, HttpContext http, UserAdmin admin, AuditLog audit, TimeProvider clock)
    {
        var role = request.Role?.Trim().ToLowerInvariant();
        if (!PlatformRoles.IsStaff(role))
        {
            return ApiResults.Invalid("role", $"'{request.Role}' is not a staff role; use admin, senior or agent.");
        }

        var (user, problem) = await admin.CreateAsync(PlatformClaims.StaffKind, request.Id, request.Email, request.Name, role!, null, false, request.Password, http.RequestAborted);
        if (user is null)
        {
            return problem!;
        }

        await audit.WriteAsync(http, "staff.created", user.Id, $"{user.Email} as {user.Role}");
        return TypedResults.Created($"/api/staff/{user.Id}", UserView.From(user, clock.GetUtcNow()));
    }

    private static async Task<IResult> Update(string id, StaffUpdateRequest request, HttpContext http, UserAdmin admin, AuditLog audit, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        if (await admin.Store.FindAsync(id, ct) is not { IsStaff: true } user)
        {
            return NotFound(id);
        }

        var role = request.Role?.Trim().ToLowerInvariant() ?? user.Role;
        if (!PlatformRoles.IsStaff(role))
        {
            return ApiResults.Invalid("role", $"'{request.Role}' is not a staff role; use admin, senior or agent.");
        }

        if (request.Name is { } name && (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 200))
        {
            return ApiResults.Invalid("name", "Give the user's display name (1 to 200 characters).");
        }

        var active = request.Active ?? user.Active;
        var losesAdmin = user is { Role: PlatformRoles.Admin, Active: true } && (role != PlatformRoles.Admin || !active);
        if (losesAdmin && await admin.Store.CountActiveAdminsAsync(ct) <= 1)
        {
            return ApiResults.Conflict("last-admin", $"'{id}' is the last active admin; make another user admin first, or nobody could manage users.");
        }

        var updated = user with { Name = request.Name?.Trim() ?? user.Name, Role = role, Active = active };
        var securityChange = updated.Role != user.Role || updated.Active != user.Active;
        updated = await admin.SaveAsync(updated, newStamp: securityChange, ct);
        await audit.WriteAsync(http, "staff.updated", id, Changes(user, updated));
        return TypedResults.Ok(UserView.From(updated, clock.GetUtcNow()));
    }

    private static async Task<IResult> ResetPassword(string id, PasswordSetRequest request, HttpContext http, UserAdmin admin, AuditLog audit)
    {
        var ct = http.RequestAborted;
        if (await admin.Store.FindAsync(id, ct) is not { IsStaff: true } user)
        {
            return NotFound(id);
        }

        if (IdentitySettings.PasswordProblem(request.Password) is { } problem)
        {
            return ApiResults.Invalid("password", problem + ".");
        }

        await admin.SetPasswordAsync(user, request.Password!, ct);
        await audit.WriteAsync(http, "staff.password-reset", id);
        return TypedResults.NoContent();
    }

    public static string Changes(UserRecord before, UserRecord after)
    {
        var changes = new List<string>();
        if (before.Name != after.Name)
        {
            changes.Add($"name '{before.Name}' -> '{after.Name}'");
        }

        if (before.Role != after.Role)
        {
            changes.Add($"role {before.Role} -> {after.Role}");
        }

        if (before.IsManager != after.IsManager)
        {
            changes.Add($"manager {before.IsManager} -> {after.IsManager}");
        }

        if (before.Active != after.Active)
        {
            changes.Add(after.Active ? "reactivated" : "deactivated");
        }

        return changes.Count == 0 ? "no change" : string.Join(", ", changes);
    }
}

internal sealed record StaffCreateRequest(string? Id, string? Email, string? Name, string? Role, string? Password);

internal sealed record StaffUpdateRequest(string? Name, string? Role, bool? Active);

internal sealed record PasswordSetRequest(string? Password);
