using System.Data.Common;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace SupportPlatform.Host.Hosting;

/// <summary>
/// Turns a request that failed because the database could not be reached (restarting, failing over, a cut connection)
/// into 503 with Retry-After instead of 500, so that API clients and senders know to retry: nothing was confirmed
/// stored, and the node reconnects by itself once the database is back (readiness says when).
/// </summary>
internal sealed partial class DatabaseUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableExceptionHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsDatabaseUnavailable(exception))
        {
            return false;
        }

        LogUnavailable(logger, context.Request.Method, context.Request.Path, exception.GetBaseException().Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is not available",
                Detail = "The request could not be completed because the database did not answer; nothing was stored. Retry in a few seconds.",
                Extensions = { ["code"] = "database-unavailable" },
            },
        });
    }

    /// <summary>
    /// A transient database error (the provider says so: Npgsql for a refused or cut connection and an administrator
    /// shutdown, SQLite for a busy or locked file) or a socket or time-out error under one, anywhere in the chain
    /// (Orleans passes a grain's exception through as it is; other layers may wrap it).
    /// </summary>
    internal static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException { IsTransient: true })
            {
                return true;
            }

            if (e is DbException && e.InnerException is SocketException or IOException or TimeoutException)
            {
                return true;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsDatabaseUnavailable))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: the database is not available ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string reason);
}
