using Microsoft.AspNetCore.Builder;
using SupportPlatform.Core.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Tickets.Attachments;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Api;

/// <summary>
/// Files on tickets: <c>POST /api/tickets/{id}/attachments</c> (multipart) stores the files and records them on the
/// ticket as a comment carrying the attachments (one event in the ticket's history); <c>GET .../attachments/{file}</c>
/// downloads one.
/// </summary>
internal static class AttachmentsApi
{
    /// <summary>The claim that names a client user's account (PlatformClaims.Account of the identity contract).</summary>

    public static void MapAttachmentsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/tickets/{id:long}/attachments").WithTags("Tickets");
        group.MapPost("/", Upload).RequireAuthorization(PlatformPolicies.SignedIn)
            .WithName("UploadTicketAttachments")
            .WithSummary("Attaches files (multipart/form-data: one or more 'files', an optional 'body' message and 'visibility' public or internal). "
                + "They are recorded on the ticket as one comment with the attachments.")
            .Accepts<IFormFile>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/{file}", Download).RequireAuthorization(PlatformPolicies.SignedIn).WithName("DownloadTicketAttachment").WithSummary("Downloads an attachment of the ticket.");
    }

    private static async Task<IResult> Upload(long id, HttpContext http, IClusterClient client, AttachmentStore store)
    {
        Actor actor;
        try
        {
            actor = ActorResolver.Resolve(http);
        }
        catch (TicketRuleException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, ex.Code, ex.Message);
        }

        var grain = client.GetGrain<ITicketGrain>(id);
        if (await grain.Get() is not { } ticket || !MaySee(http, ticket))
        {
            return Problem(StatusCodes.Status404NotFound, "not-found", $"Ticket {id} does not exist.");
        }

        if (!http.Request.HasFormContentType || !http.Request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "multipart-required", "Send the files as multipart/form-data, each in a part named 'files'.");
        }

        var limits = store.Options;
        var maxBody = (limits.MaxFileBytes * limits.MaxFiles) + (1024 * 1024);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBody;
        }

        IFormCollection form;
        try
        {
            form = await new FormFeature(http.Request, new FormOptions { MultipartBodyLengthLimit = maxBody, ValueCountLimit = 20 })
                .ReadFormAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "upload-too-large",
                $"The upload is too large or malformed ({ex.Message}); send at most {limits.MaxFiles} files of at most {limits.MaxFileBytes} bytes each.");
        }

        var files = form.Files.GetFiles("files");
        if (files.Count == 0)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "files-required", "Send at least one file in a part named 'files'.");
        }

        if (files.Count > limits.MaxFiles)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "too-many-files", $"{files.Count} files were sent; at most {limits.MaxFiles} go in one upload.");
        }

        var visibility = CommentVisibility.Public;
        if (form["visibility"].ToString() is { Length: > 0 } text && !Enum.TryParse(text, ignoreCase: true, out visibility))
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "invalid-visibility", $"'{text}' is not a visibility; use public or internal.");
        }

        // Check every file before storing any, so a refused file leaves nothing behind.
        var stored = new List<AttachmentRef>();
        try
        {
            foreach (var file in files)
            {
                var (attachment, error) = await store.SaveAsync(id, file, http.RequestAborted);
                if (attachment is null)
                {
                    store.Delete(id, stored);
                    var status = file.Length > limits.MaxFileBytes ? StatusCodes.Status413PayloadTooLarge
                        : file.Length == 0 ? StatusCodes.Status422UnprocessableEntity
                        : StatusCodes.Status415UnsupportedMediaType;
                    return Problem(status, status == StatusCodes.Status415UnsupportedMediaType ? "unsupported-file-type" : "invalid-file", error!);
                }

                stored.Add(attachment);
            }

            var body = form["body"].ToString().Trim();
            var result = await grain.AddComment(new AddComment
            {
                Actor = actor,
                Visibility = visibility,
                Body = body.Length > 0 ? body : "Attached " + string.Join(", ", stored.Select(a => a.FileName)),
                Attachments = stored,
            });
            return TypedResults.Ok(new AttachmentsResult(result.CommentId, stored, result.Ticket, result.FollowUpTicket));
        }
        catch (TicketRuleException ex)
        {
            store.Delete(id, stored);
            var status = ex.Code == "not-found" ? StatusCodes.Status404NotFound
                : ex.IsValidation ? StatusCodes.Status422UnprocessableEntity
                : StatusCodes.Status409Conflict;
            return Problem(status, ex.Code, ex.Message);
        }
        catch
        {
            store.Delete(id, stored);
            throw;
        }
    }

    private static async Task<IResult> Download(long id, string file, HttpContext http, IClusterClient client, AttachmentStore store)
    {
        var grain = client.GetGrain<ITicketGrain>(id);
        if (!AttachmentStore.IsValidId(file) || await grain.Get() is not { } ticket || !MaySee(http, ticket))
        {
            return NotFound(id, file);
        }

        var isClient = IsClient(http);
        var attachment = ticket.Attachments.FirstOrDefault(a => a.Id == file);
        if (attachment is null)
        {
            var history = await grain.GetHistory(includeMerged: true);
            attachment = history
                .Select(h => h.Event)
                .OfType<CommentAdded>()
                .Where(c => !isClient || c.Visibility == CommentVisibility.Public)
                .SelectMany(c => c.Attachments)
                .FirstOrDefault(a => a.Id == file);
            if (attachment is not null)
            {
                id = history.First(h => h.Event is CommentAdded c && c.Attachments.Any(a => a.Id == file)).TicketId;
            }
        }

        var path = attachment is null ? null : store.PathOf(id, attachment.Id);
        if (attachment is null || !File.Exists(path))
        {
            return NotFound(id, file);
        }

        // Always a download, never rendered by the browser in the product's origin.
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        return TypedResults.PhysicalFile(path!, attachment.ContentType, attachment.FileName, enableRangeProcessing: true);
    }

    private static bool IsClient(HttpContext http) => http.User.IsClientUser();

    /// <summary>A client user sees only their own account's tickets (the others look like they do not exist).</summary>
    private static bool MaySee(HttpContext http, TicketView ticket) => http.User.CanSeeAccount(ticket.AccountId);

    private static IResult NotFound(long id, string file) =>
        Problem(StatusCodes.Status404NotFound, "not-found", $"Ticket {id} has no attachment '{file}'.");

    private static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, type: $"https://supportplatform.dev/problems/{code}",
            extensions: new Dictionary<string, object?> { ["code"] = code });
}

/// <summary>What an upload did: the comment that carries the files, the files, and the ticket after it.</summary>
internal sealed record AttachmentsResult(string CommentId, IReadOnlyList<AttachmentRef> Attachments, TicketView Ticket, long? FollowUpTicket);
