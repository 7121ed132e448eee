using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;
using SupportPlatform.Identity.Security;

namespace SupportPlatform.Identity.Api;

/// <summary><c>POST /api/setup</c>: the first admin of a fresh install, with the setup token from the host's log.</summary>
internal static class SetupApi
{
    public static void MapSetupApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/setup", Setup).AllowAnonymous().RequireRateLimiting(RateLimits.Public)
            .WithTags("Sign-in").WithMetadata(ExplicitlyAudited.Instance)
            .WithName("SetUpFirstAdmin")
            .WithSummary("Creates the first admin of a fresh install (token from the host's start-up log, email, password, name). 409 once an admin exists.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<IResult> Setup(SetupRequest request, HttpContext http, UserAdmin admin, SecretStore secrets, AuditLog audit, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        if (await admin.Store.AnyStaffAsync(ct))
        {
            return ApiResults.Conflict("setup-done", "The platform is already set up: an administrator exists. Sign in instead (POST /api/auth/signin).");
        }

        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Token))
        {
            errors["token"] = ["Give the setup token printed in the host's log at start ('No administrator exists yet...')."];
        }

        if (IdentitySettings.NormalizeEmail(request.Email) is null)
        {
            errors["email"] = [$"'{request.Email}' is not an email address; expected name@domain."];
        }

        if (IdentitySettings.PasswordProblem(request.Password) is { } problem)
        {
            errors["password"] = [problem + "."];
        }

        if (errors.Count > 0)
        {
            return ApiResults.Invalid(errors);
        }

        if (!await secrets.TryConsumeAsync(SecretStore.SetupToken, request.Token!.Trim(), ct))
        {
            await audit.WriteAsync(http, "setup.failed", null, "wrong setup token");
            return ApiResults.Problem(StatusCodes.Status403Forbidden, "invalid-setup-token",
                "The setup token is wrong. Copy it from the host's log ('No administrator exists yet...'); it changes when the database is new.");
        }

        var (user, failure) = await admin.CreateAsync(
            PlatformClaims.StaffKind, IdentityStartup.FirstAdminId, request.Email, string.IsNullOrWhiteSpace(request.Name) ? "Administrator" : request.Name,
            PlatformRoles.Admin, null, false, request.Password, ct);
        if (user is null)
        {
            // Keep the token usable for a corrected request.
            await secrets.GetOrCreateAsync(SecretStore.SetupToken, () => request.Token.Trim(), ct);
            return failure!;
        }

        await audit.WriteAsync(http, "staff.created", user.Id, $"first admin {user.Email} through /api/setup");
        return TypedResults.Created($"/api/staff/{user.Id}", UserView.From(user, clock.GetUtcNow()));
    }
}

internal sealed record SetupRequest(string? Token, string? Email, string? Password, string? Name);
