using Microsoft.AspNetCore.Http;

namespace SupportPlatform.Notifications.Api;

/// <summary>ProblemDetails answers whose detail says what was wrong.</summary>
internal static class ApiErrors
{
    public static IResult Invalid(IEnumerable<string> problems) =>
        Results.Problem(title: "The request is not valid.", detail: string.Join(" ", problems), statusCode: StatusCodes.Status400BadRequest);

    public static IResult Invalid(string problem) => Invalid([problem]);

    public static IResult NotFound(string what) => Results.Problem(title: "Not found.", detail: what, statusCode: StatusCodes.Status404NotFound);

    public static bool ValidId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
