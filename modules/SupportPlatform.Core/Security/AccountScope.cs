using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SupportPlatform.Core.Security;

/// <summary>Endpoint filters that keep a client user inside their own account.</summary>
public static class AccountScope
{
    /// <summary>
    /// Answers 404 when the route value <paramref name="routeValue"/> names an account the caller may not see
    /// (a client user of another account). Staff pass. Use on endpoints under <c>/api/accounts/{accountId}/...</c>.
    /// </summary>
    public static TBuilder RequireAccountAccess<TBuilder>(this TBuilder builder, string routeValue = "accountId")
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var accountId = context.HttpContext.Request.RouteValues[routeValue] as string;
            return context.HttpContext.User.CanSeeAccount(accountId) ? await next(context) : NotFound(accountId);
        });

    /// <summary>The 404 problem for a resource outside the caller's account.</summary>
    public static IResult NotFound(string? what) =>
        TypedResults.Problem(
            detail: $"'{what}' does not exist or is not visible to you.",
            statusCode: StatusCodes.Status404NotFound,
            type: "https://supportplatform.dev/problems/not-found",
            extensions: new Dictionary<string, object?> { ["code"] = "not-found" });
}
