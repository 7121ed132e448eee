using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core;
using SupportPlatform.Core.Security;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Persistence;

namespace SupportPlatform.Tickets.Api;

/// <summary>The tickets REST API: <c>/api/tickets</c>.</summary>
internal static class TicketsApi
{
    private const string IdempotencyHeader = "Idempotency-Key";
    private const int MaxPageSize = 200;
    private static readonly TimeSpan IdempotencyTtl = TimeSpan.FromHours(24);

    public static RouteGroupBuilder MapTicketsApi(this IEndpointRouteBuilder endpoints)
    {
        // Client users may open, list, read and comment on their own account's tickets; everything else is for staff.
        var group = endpoints.MapGroup("/api/tickets").WithTags("Tickets");

        group.MapPost("/", Create)
            .WithName("CreateTicket").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Opens a ticket. Send an Idempotency-Key header to make retries safe: the same key and body give the same ticket.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/", List)
            .WithName("ListTickets").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Lists tickets with filters (status, priority, accountId, agentId, group, channel, tag, q) and paging; sort = queue, newest, oldest or updated.");
        group.MapGet("/{id:long}", Get).WithName("GetTicket").RequireAuthorization(PlatformPolicies.SignedIn).WithSummary("One ticket, with its SLA clocks.");
        group.MapGet("/{id:long}/history", History)
            .WithName("GetTicketHistory").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("The ticket's events in order (the audit trail); includeMerged adds the events of tickets merged into it.");
        group.MapPost("/{id:long}/comments", Comment)
            .WithName("AddTicketComment").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Adds a public reply or an internal note. A client reply reopens a resolved ticket within the reopen window, else opens a linked follow-up.");
        group.MapPost("/{id:long}/status", Status).WithName("ChangeTicketStatus").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Moves the status; resolving needs a resolution note.");
        group.MapPost("/{id:long}/assignment", Assign).WithName("AssignTicket").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Sets the group and/or agent.");
        group.MapPost("/{id:long}/priority", Prioritize).WithName("ChangeTicketPriority").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Changes the priority; SLA targets are re-based.");
        group.MapPatch("/{id:long}", Update).WithName("UpdateTicket").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Changes subject, type or tags.");
        group.MapPost("/{id:long}/external-references", Reference).WithName("AddTicketExternalReference").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Records a reference in another system, e.g. a vendor's case number.");
        group.MapPost("/{id:long}/escalations", Escalate).WithName("EscalateTicket").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Escalates to a group (e.g. L2) or to a vendor.");
        group.MapPost("/{id:long}/merge", Merge).WithName("MergeTicket").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Merges this ticket into another; both histories are kept.");
        group.MapPost("/{id:long}/split", Split).WithName("SplitTicket").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Opens a new ticket from part of this one; both are linked.");
        return group;
    }

    private static async Task<IResult> Create(CreateTicketRequest request, HttpContext http, IClusterClient client, IIdempotencyStore idempotency, TicketStore store)
    {
        var actor = ActorResolver.Resolve(http);
        if (http.User.ClientAccountId() is { } own)
        {
            // A client user opens tickets for their own account only, as the requester.
            if (request.AccountId is { } asked && !string.Equals(asked, own, StringComparison.Ordinal))
            {
                return AccountScope.NotFound(asked);
            }

            request = request with { AccountId = own, RequesterId = actor.Id };
        }

        var command = new CreateTicket
        {
            AccountId = request.AccountId ?? "",
            RequesterId = request.RequesterId ?? "",
            Channel = request.Channel ?? (actor.Kind == ActorKind.Client ? TicketChannel.Portal : TicketChannel.Api),
            Type = request.Type,
            Priority = request.Priority ?? Priority.Normal,
            Subject = request.Subject ?? "",
            Description = request.Description ?? "",
            Tags = request.Tags ?? [],
            ExternalReferences = request.ExternalReferences ?? [],
            ReceivedAt = request.ReceivedAt,
            Actor = actor,
        };

        var key = http.Request.Headers[IdempotencyHeader].ToString();
        if (key.Length == 0)
        {
            return await Run(async () => Created(await client.GetGrain<ITicketGrain>(await store.AllocateNumberAsync(http.RequestAborted)).Create(command)));
        }

        if (key.Length > 200)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid-idempotency-key", "The Idempotency-Key header is longer than 200 characters.");
        }

        // The number is reserved under the key before the ticket exists, so a retry after a crash creates the same ticket.
        var scope = $"tickets:create:{actor.Kind}:{actor.Id}";
        var hash = Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, TicketJson.Options)));
        var claim = await idempotency.TryClaimAsync(scope, key, hash, IdempotencyTtl, http.RequestAborted);
        long number;
        if (claim.Claimed)
        {
            number = await store.AllocateNumberAsync(http.RequestAborted);
            // With the claim's identity: if this request was so slow that a retry took the key over, only one of them completes.
            await idempotency.CompleteAsync(scope, key, number.ToString(System.Globalization.CultureInfo.InvariantCulture), http.RequestAborted, claim.ClaimedAt);
        }
        else if (!claim.RequestHashMatches)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused",
                "This Idempotency-Key was already used with a different request; use a new key for a new ticket.");
        }
        else if (claim.Status == IdempotencyStatus.Pending || claim.Response is null)
        {
            return Problem(StatusCodes.Status409Conflict, "request-in-progress", "A request with this Idempotency-Key is still being processed; retry shortly.");
        }
        else
        {
            number = long.Parse(claim.Response, System.Globalization.CultureInfo.InvariantCulture);
        }

        return await Run(async () => Created(await client.GetGrain<ITicketGrain>(number).Create(command)));
    }

    private static async Task<IResult> List(
        HttpContext http,
        TicketQueries queries,
        [FromQuery] string? status,
        [FromQuery] string? priority,
        [FromQuery] string? accountId,
        [FromQuery] string? agentId,
        [FromQuery] string? group,
        [FromQuery] string? channel,
        [FromQuery] string? tag,
        [FromQuery] string? q,
        [FromQuery] string? sort,
        [FromQuery] int? page,
        [FromQuery] int? pageSize)
    {
        var errors = new Dictionary<string, string[]>();
        var statuses = ParseList<TicketStatus>(status, "status", errors);
        var priorities = ParseList<Priority>(priority, "priority", errors);
        var channels = ParseList<TicketChannel>(channel, "channel", errors);
        if (channels is { Count: > 1 })
        {
            errors["channel"] = ["Filter by one channel at a time."];
        }

        sort ??= "updated";
        if (!TicketQueries.Sorts.ContainsKey(sort))
        {
            errors["sort"] = [$"'{sort}' is not a sort order; use one of {string.Join(", ", TicketQueries.Sorts.Keys)}."];
        }

        if (page is < 1)
        {
            errors["page"] = ["Pages are numbered from 1."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // A client user's list is always their own account's, whatever accountId they ask for.
        accountId = http.User.ClientAccountId() ?? accountId;
        var filter = new TicketFilter(statuses, priorities, accountId, agentId, group, channels?.FirstOrDefault(), tag, q, sort);
        return TypedResults.Ok(await queries.ListAsync(filter, page ?? 1, pageSize ?? 50, http.RequestAborted));
    }

    private static async Task<IResult> Get(long id, HttpContext http, IClusterClient client) =>
        await client.GetGrain<ITicketGrain>(id).Get() is { } ticket && http.User.CanSeeAccount(ticket.AccountId) ? TypedResults.Ok(ticket) : NotFound(id);

    private static async Task<IResult> History(long id, bool? includeMerged, HttpContext http, IClusterClient client)
    {
        if (!http.User.IsClientUser())
        {
            return await Run(async () => TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).GetHistory(includeMerged ?? true)));
        }

        if (!await Visible(id, http, client))
        {
            return NotFound(id);
        }

        // Client users never see internal notes, nor the events of another account's ticket merged into this one.
        var history = await client.GetGrain<ITicketGrain>(id).GetHistory(includeMerged ?? true);
        var visible = new Dictionary<long, bool> { [id] = true };
        foreach (var other in history.Select(h => h.TicketId).Distinct().Where(t => t != id))
        {
            visible[other] = await Visible(other, http, client);
        }

        return TypedResults.Ok(history
            .Where(h => visible[h.TicketId] && h.Event is not CommentAdded { Visibility: CommentVisibility.Internal })
            .ToList());
    }

    private static async Task<IResult> Comment(long id, CommentRequest request, HttpContext http, IClusterClient client) =>
        http.User.IsClientUser() && !await Visible(id, http, client) ? NotFound(id) : await Run(async () => TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).AddComment(new AddComment
        {
            Actor = ActorResolver.Resolve(http),
            Visibility = request.Visibility ?? CommentVisibility.Public,
            Body = request.Body ?? "",
            Channel = request.Channel,
            CommentId = request.CommentId,
        })));

    private static Task<IResult> Status(long id, StatusRequest request, HttpContext http, IClusterClient client) =>
        Run(async () => request.Status is not { } to
            ? Validation("status", "Give the new status.")
            : TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).ChangeStatus(new ChangeStatus { Actor = ActorResolver.Resolve(http), To = to, Note = request.Note })));

    private static Task<IResult> Assign(long id, AssignRequest request, HttpContext http, IClusterClient client) =>
        Run(async () => TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).Assign(new AssignTicket
        {
            Actor = ActorResolver.Resolve(http),
            Group = request.Group,
            AgentId = request.AgentId,
            Reason = request.Reason,
        })));

    private static Task<IResult> Prioritize(long id, PriorityRequest request, HttpContext http, IClusterClient client) =>
        Run(async () => request.Priority is not { } to
            ? Validation("priority", "Give the new priority: critical, high, normal or low.")
            : TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).ChangePriority(new ChangePriority { Actor = ActorResolver.Resolve(http), To = to, Reason = request.Reason })));

    private static Task<IResult> Update(long id, UpdateRequest request, HttpContext http, IClusterClient client) =>
        Run(async () => TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).UpdateDetails(new UpdateDetails
        {
            Actor = ActorResolver.Resolve(http),
            Subject = request.Subject,
            Type = request.Type,
            Tags = request.Tags,
        })));

    private static Task<IResult> Reference(long id, ExternalReference request, HttpContext http, IClusterClient client) =>
        Run(async () => TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).AddExternalReference(request, ActorResolver.Resolve(http))));

    private static Task<IResult> Escalate(long id, EscalateRequest request, HttpContext http, IClusterClient client) =>
        Run(async () => TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).Escalate(new EscalateTicket
        {
            Actor = ActorResolver.Resolve(http),
            ToGroup = request.ToGroup,
            VendorId = request.VendorId,
            Reason = request.Reason ?? "",
        })));

    private static Task<IResult> Merge(long id, MergeRequest request, HttpContext http, IClusterClient client) =>
        Run(async () => request.Target is not { } target
            ? Validation("target", "Give the ticket to merge into.")
            : TypedResults.Ok(await client.GetGrain<ITicketGrain>(id).MergeInto(target, ActorResolver.Resolve(http))));

    private static Task<IResult> Split(long id, SplitRequest request, HttpContext http, IClusterClient client) =>
        Run(async () => Created(await client.GetGrain<ITicketGrain>(id).Split(new SplitTicket
        {
            Actor = ActorResolver.Resolve(http),
            Subject = request.Subject ?? "",
            Description = request.Description ?? "",
            CommentIds = request.CommentIds ?? [],
        })));

    /// <summary>True when the caller may see ticket <paramref name="id"/> (staff: always; a client user: their account's tickets).</summary>
    private static async Task<bool> Visible(long id, HttpContext http, IClusterClient client) =>
        http.User.IsStaff() || (await client.GetGrain<ITicketGrain>(id).Get() is { } ticket && http.User.CanSeeAccount(ticket.AccountId));

    private static IResult Created(TicketView ticket) => TypedResults.Created($"/api/tickets/{ticket.Id}", ticket);

    /// <summary>Runs a grain call and turns a broken rule into a problem response.</summary>
    private static async Task<IResult> Run(Func<Task<IResult>> call)
    {
        try
        {
            return await call();
        }
        catch (TicketRuleException ex)
        {
            var status = ex.Code == "not-found" ? StatusCodes.Status404NotFound
                : ex.IsValidation ? StatusCodes.Status422UnprocessableEntity
                : StatusCodes.Status409Conflict;
            return Problem(status, ex.Code, ex.Message);
        }
    }

    private static IResult NotFound(long id) => Problem(StatusCodes.Status404NotFound, "not-found", $"Ticket {id} does not exist.");

    private static IResult Validation(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    private static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, type: $"https://supportplatform.dev/problems/{code}",
            extensions: new Dictionary<string, object?> { ["code"] = code });

    private static List<T>? ParseList<T>(string? text, string field, Dictionary<string, string[]> errors)
        where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var values = new List<T>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Enum.TryParse<T>(part.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var value) && Enum.IsDefined(value)
                && !int.TryParse(part, out _))
            {
                values.Add(value);
            }
            else
            {
                errors[field] = [$"'{part}' is not a {field}; use {string.Join(", ", Enum.GetValues<T>().Select(v => TicketJson.Name(v)))}."];
            }
        }

        return values;
    }
}

internal sealed record CreateTicketRequest(
    string? AccountId,
    string? RequesterId,
    TicketChannel? Channel,
    string? Type,
    Priority? Priority,
    string? Subject,
    string? Description,
    IReadOnlyList<string>? Tags,
    IReadOnlyList<ExternalReference>? ExternalReferences,
    DateTimeOffset? ReceivedAt);

internal sealed record CommentRequest(string? Body, CommentVisibility? Visibility, TicketChannel? Channel, string? CommentId);

internal sealed record StatusRequest(TicketStatus? Status, string? Note);

internal sealed record AssignRequest(string? Group, string? AgentId, string? Reason);

internal sealed record PriorityRequest(Priority? Priority, string? Reason);

internal sealed record UpdateRequest(string? Subject, string? Type, IReadOnlyList<string>? Tags);

internal sealed record EscalateRequest(string? ToGroup, string? VendorId, string? Reason);

internal sealed record MergeRequest(long? Target);

internal sealed record SplitRequest(string? Subject, string? Description, IReadOnlyList<string>? CommentIds);
