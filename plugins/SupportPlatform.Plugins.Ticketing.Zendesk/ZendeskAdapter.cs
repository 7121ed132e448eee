using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Sdk.Ticketing;

namespace SupportPlatform.Plugins.Ticketing.Zendesk;

/// <summary>
/// The Zendesk Support API v2 as an <see cref="ITicketingAdapter"/>: organisations and users by cursor pagination
/// (<c>page[size]</c>, <c>page[after]</c>, <c>meta.has_more</c>), tickets by the cursor-based incremental export
/// (<c>/api/v2/incremental/tickets/cursor.json</c>, <c>after_cursor</c>, <c>end_of_stream</c>, with <c>metric_sets</c>
/// for the solved time), comments with their authors side-loaded, and writes by <c>PUT /api/v2/tickets/{id}.json</c>.
/// Authenticates with an API token (<c>{email}/token:{token}</c>, HTTP Basic).
/// </summary>
internal sealed class ZendeskAdapter : ITicketingAdapter, IDisposable
{
    public const string SystemName = "zendesk";

    private static readonly HttpClient Anonymous = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(60) };

    private readonly ZendeskSettings settings;
    private readonly HttpClient http;
    private readonly ConcurrentDictionary<string, (string? Email, string Name, bool Agent)> people = new(StringComparer.Ordinal);

    public ZendeskAdapter(ZendeskSettings settings)
    {
        this.settings = settings;
        http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
        {
            BaseAddress = settings.Url,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Email}/token:{settings.ApiToken}")));
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public string System => SystemName;

    public async Task<TicketingPage<ExternalOrganization>> ListOrganizationsAsync(string? cursor, CancellationToken cancellationToken)
    {
        var page = await GetAsync(CursorPath("api/v2/organizations.json", cursor, Math.Min(settings.PageSize, 100)), cancellationToken);
        var items = Array(page, "organizations").Select(o => new ExternalOrganization
        {
            Id = Id(o!["id"]),
            Name = (string?)o!["name"] ?? "",
            Domains = Array(o, "domain_names").Select(d => ((string?)d ?? "").Trim().ToLowerInvariant()).Where(d => d.Length > 0).ToList(),
        }).ToList();
        return CursorPage(page, items);
    }

    public async Task<TicketingPage<ExternalUser>> ListUsersAsync(string? cursor, CancellationToken cancellationToken)
    {
        var page = await GetAsync(CursorPath("api/v2/users.json", cursor, Math.Min(settings.PageSize, 100)), cancellationToken);
        var items = Array(page, "users").Select(u => ToUser(u!)).ToList();
        return CursorPage(page, items);
    }

    public async Task<TicketingPage<ExternalTicket>> ListChangedTicketsAsync(string? cursor, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var query = cursor is null
            ? $"start_time={Math.Max(0, since.ToUnixTimeSeconds()).ToString(CultureInfo.InvariantCulture)}"
            : $"cursor={Uri.EscapeDataString(cursor)}";
        var page = await GetAsync($"api/v2/incremental/tickets/cursor.json?{query}&per_page={settings.PageSize}&include=metric_sets", cancellationToken);
        var solved = Array(page, "metric_sets")
            .Where(m => m?["ticket_id"] is not null && m["solved_at"] is JsonValue)
            .GroupBy(m => Id(m!["ticket_id"]))
            .ToDictionary(g => g.Key, g => Time(g.Last()!["solved_at"]));
        var tickets = new List<ExternalTicket>();
        foreach (var ticket in Array(page, "tickets"))
        {
            tickets.Add(await ToTicketAsync(ticket!, solved.TryGetValue(Id(ticket!["id"]), out var at) ? at : null, cancellationToken));
        }

        return new TicketingPage<ExternalTicket>
        {
            Items = tickets,
            NextCursor = (string?)page["after_cursor"] ?? cursor,
            EndOfStream = (bool?)page["end_of_stream"] ?? true,
        };
    }

    public async Task<ExternalTicket?> GetTicketAsync(string ticketId, CancellationToken cancellationToken)
    {
        var page = await TryGetAsync($"api/v2/tickets/{Uri.EscapeDataString(ticketId)}.json", cancellationToken);
        if (page is null)
        {
            return null;
        }

        var ticket = page["ticket"]!;
        DateTimeOffset? solvedAt = null;
        if ((string?)ticket["status"] is "solved" or "closed"
            && await TryGetAsync($"api/v2/tickets/{Uri.EscapeDataString(ticketId)}/metrics.json", cancellationToken) is { } metrics
            && metrics["ticket_metric"]?["solved_at"] is JsonValue solved)
        {
            solvedAt = Time(solved);
        }

        return await ToTicketAsync(ticket, solvedAt, cancellationToken);
    }

    public async Task<IReadOnlyList<ExternalComment>> ListCommentsAsync(string ticketId, CancellationToken cancellationToken)
    {
        var comments = new List<ExternalComment>();
        string? cursor = null;
        string? description = null;
        do
        {
            var page = await GetAsync(CursorPath($"api/v2/tickets/{Uri.EscapeDataString(ticketId)}/comments.json", cursor, 100) + "&include=users", cancellationToken);
            foreach (var user in Array(page, "users"))
            {
                var person = ToUser(user!);
                people[person.Id] = (person.Email, person.Name, person.IsAgent);
            }

            foreach (var comment in Array(page, "comments"))
            {
                var author = Id(comment!["author_id"]);
                var known = people.TryGetValue(author, out var p) ? p : await PersonAsync(author, cancellationToken);
                comments.Add(new ExternalComment
                {
                    Id = Id(comment["id"]),
                    AuthorId = author,
                    AuthorName = known.Name,
                    AuthorEmail = known.Email,
                    AuthorIsAgent = known.Agent,
                    Public = (bool?)comment["public"] ?? true,
                    Body = (string?)comment["plain_body"] ?? (string?)comment["body"] ?? "",
                    CreatedAt = Time(comment["created_at"]),
                    Attachments = Attachments(comment),
                });
            }

            cursor = (bool?)page["meta"]?["has_more"] == true ? (string?)page["meta"]?["after_cursor"] : null;
        }
        while (cursor is not null);

        // Zendesk keeps a ticket's description as its first comment; it comes over as the description, so it is not
        // a comment too (unless it carries files, which then stay with it so nothing is lost).
        if (comments.Count > 0 && comments[0].Attachments.Count == 0)
        {
            var ticket = await TryGetAsync($"api/v2/tickets/{Uri.EscapeDataString(ticketId)}.json", cancellationToken);
            description = (string?)ticket?["ticket"]?["description"];
            if (description is not null && Normalize(description) == Normalize(comments[0].Body))
            {
                comments.RemoveAt(0);
            }
        }

        return comments;
    }

    public async Task<Stream> OpenAttachmentAsync(ExternalAttachment attachment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        // The API credentials go to the account's own host only; content URLs elsewhere are pre-signed.
        var client = string.Equals(attachment.ContentUrl.Host, settings.Url.Host, StringComparison.OrdinalIgnoreCase) ? http : Anonymous;
        var response = await client.GetAsync(attachment.ContentUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    public async Task<string> AddCommentAsync(string ticketId, ExternalCommentDraft comment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(comment);
        var authorId = comment.AuthorEmail is { Length: > 0 } email ? await FindAgentIdAsync(email, cancellationToken) : null;
        var body = authorId is null && comment.AuthorName is { Length: > 0 } name ? $"{name}:\n\n{comment.Body}" : comment.Body;
        var payload = new JsonObject { ["body"] = body, ["public"] = comment.Public };
        if (authorId is not null)
        {
            payload["author_id"] = long.Parse(authorId, CultureInfo.InvariantCulture);
        }

        var answer = await SendAsync(HttpMethod.Put, $"api/v2/tickets/{Uri.EscapeDataString(ticketId)}.json",
            new JsonObject { ["ticket"] = new JsonObject { ["comment"] = payload } }, cancellationToken);
        var created = Array(answer["audit"], "events").FirstOrDefault(e => (string?)e!["type"] == "Comment")
            ?? throw new TicketingApiException(200, "Zendesk accepted the comment but its answer names no Comment event in the audit.", null);
        return Id(created["id"]);
    }

    public async Task<ExternalTicket> UpdateTicketAsync(string ticketId, ExternalTicketUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var ticket = new JsonObject();
        if (update.Status is { } status)
        {
            ticket["status"] = status switch
            {
                ExternalTicketStatus.Pending => "pending",
                ExternalTicketStatus.OnHold => "hold",
                // Zendesk closes solved tickets itself; the API cannot reopen to new.
                ExternalTicketStatus.Solved or ExternalTicketStatus.Closed => "solved",
                _ => "open",
            };
        }

        if (update.AssigneeEmail is { } assignee)
        {
            if (assignee.Length == 0)
            {
                ticket["assignee_id"] = null;
            }
            else
            {
                ticket["assignee_email"] = assignee;
            }
        }

        var answer = await SendAsync(HttpMethod.Put, $"api/v2/tickets/{Uri.EscapeDataString(ticketId)}.json", new JsonObject { ["ticket"] = ticket }, cancellationToken);
        return await ToTicketAsync(answer["ticket"]!, null, cancellationToken);
    }

    public void Dispose() => http.Dispose();

    private async Task<ExternalTicket> ToTicketAsync(JsonNode ticket, DateTimeOffset? solvedAt, CancellationToken ct)
    {
        string? assignee = null;
        if (ticket["assignee_id"] is JsonValue assigneeId)
        {
            assignee = (await PersonAsync(Id(assigneeId), ct)).Email;
        }

        var id = Id(ticket["id"]);
        return new ExternalTicket
        {
            Id = id,
            RequesterId = ticket["requester_id"] is JsonValue r ? Id(r) : "",
            OrganizationId = ticket["organization_id"] is JsonValue o ? Id(o) : null,
            Subject = (string?)ticket["subject"] ?? (string?)ticket["raw_subject"] ?? "",
            Description = (string?)ticket["description"] ?? "",
            Status = (string?)ticket["status"] switch
            {
                "new" => ExternalTicketStatus.New,
                "pending" => ExternalTicketStatus.Pending,
                "hold" => ExternalTicketStatus.OnHold,
                "solved" => ExternalTicketStatus.Solved,
                "closed" => ExternalTicketStatus.Closed,
                "deleted" => ExternalTicketStatus.Deleted,
                _ => ExternalTicketStatus.Open,
            },
            Priority = (string?)ticket["priority"] switch
            {
                "urgent" => ExternalTicketPriority.Urgent,
                "high" => ExternalTicketPriority.High,
                "low" => ExternalTicketPriority.Low,
                _ => ExternalTicketPriority.Normal,
            },
            AssigneeEmail = assignee,
            Tags = Array(ticket, "tags").Select(t => (string?)t ?? "").Where(t => t.Length > 0).ToList(),
            CreatedAt = Time(ticket["created_at"]),
            UpdatedAt = Time(ticket["updated_at"]),
            SolvedAt = solvedAt,
            Url = new Uri(settings.Url, $"agent/tickets/{id}"),
        };
    }

    private async Task<(string? Email, string Name, bool Agent)> PersonAsync(string userId, CancellationToken ct)
    {
        if (people.TryGetValue(userId, out var known))
        {
            return known;
        }

        var page = await TryGetAsync($"api/v2/users/{Uri.EscapeDataString(userId)}.json", ct);
        var person = page?["user"] is { } user ? ToUser(user) : null;
        var value = person is null ? ((string?)null, $"Zendesk user {userId}", false) : (person.Email, person.Name, person.IsAgent);
        people[userId] = value;
        return value;
    }

    private async Task<string?> FindAgentIdAsync(string email, CancellationToken ct)
    {
        var page = await GetAsync($"api/v2/users/search.json?query={Uri.EscapeDataString("email:" + email)}", ct);
        return Array(page, "users").Select(u => ToUser(u!)).FirstOrDefault(u => u.IsAgent && string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase))?.Id;
    }

    private static ExternalUser ToUser(JsonNode user) => new()
    {
        Id = Id(user["id"]),
        Name = (string?)user["name"] ?? "",
        Email = ((string?)user["email"])?.Trim().ToLowerInvariant(),
        OrganizationId = user["organization_id"] is JsonValue o ? Id(o) : null,
        IsAgent = (string?)user["role"] is "agent" or "admin",
    };

    private static List<ExternalAttachment> Attachments(JsonNode comment) =>
        Array(comment, "attachments").Select(a => new ExternalAttachment
        {
            Id = Id(a!["id"]),
            FileName = (string?)a["file_name"] ?? "attachment",
            ContentType = (string?)a["content_type"],
            Size = (long?)a["size"] ?? 0,
            ContentUrl = new Uri((string)a["content_url"]!),
        }).ToList();

    private static string CursorPath(string path, string? cursor, int size) =>
        $"{path}?page[size]={size.ToString(CultureInfo.InvariantCulture)}" + (cursor is null ? "" : $"&page[after]={Uri.EscapeDataString(cursor)}");

    private static TicketingPage<T> CursorPage<T>(JsonNode page, IReadOnlyList<T> items)
    {
        var more = (bool?)page["meta"]?["has_more"] == true;
        return new TicketingPage<T> { Items = items, NextCursor = more ? (string?)page["meta"]?["after_cursor"] : null, EndOfStream = !more };
    }

    private static IEnumerable<JsonNode?> Array(JsonNode? node, string name) => node?[name] as JsonArray ?? [];

    private static string Id(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var number) => number.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        _ => throw new TicketingApiException(200, "Zendesk answered a record without an id.", null),
    };

    private static DateTimeOffset Time(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new TicketingApiException(200, $"Zendesk answered a time that is not ISO 8601: '{node}'.", null);

    private static string Normalize(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private async Task<JsonNode> GetAsync(string path, CancellationToken ct) =>
        await TryGetAsync(path, ct, allowNotFound: false) ?? throw new TicketingApiException(404, $"Zendesk answered GET {path} with 404.", null);

    private async Task<JsonNode?> TryGetAsync(string path, CancellationToken ct, bool allowNotFound = true)
    {
        using var response = await http.GetAsync(path, ct);
        if (allowNotFound && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await ThrowIfFailedAsync(response, ct);
        return await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct)
            ?? throw new TicketingApiException((int)response.StatusCode, $"Zendesk answered GET {path} with an empty body.", null);
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, ct);
        await ThrowIfFailedAsync(response, ct);
        return await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct)
            ?? throw new TicketingApiException((int)response.StatusCode, $"Zendesk answered {method} {path} with an empty body.", null);
    }

    /// <summary>Turns an error answer into a <see cref="TicketingApiException"/> with Zendesk's own words and its <c>Retry-After</c>.</summary>
    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(ct);
        var detail = text;
        try
        {
            if (JsonNode.Parse(text) is JsonObject error)
            {
                // {"error":"RecordNotFound","description":"Not found"}, {"error":{"title":..,"message":..}}, {"errors":[{"title","detail"}]}.
                detail = error["error"] switch
                {
                    JsonObject e => $"{(string?)e["title"]}: {(string?)e["message"]}",
                    JsonValue e => $"{(string?)e}: {(string?)error["description"]}" + (error["details"] is JsonNode d ? " " + d.ToJsonString() : ""),
                    _ => error["errors"] is JsonArray list
                        ? string.Join("; ", list.Select(x => $"{(string?)x?["title"]}: {(string?)x?["detail"]}"))
                        : text,
                };
            }
        }
        catch (JsonException)
        {
        }

        TimeSpan? retryAfter = null;
        if (status is 429 or 503)
        {
            retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - DateTimeOffset.UtcNow,
                _ => TimeSpan.FromSeconds(60),
            };
            if (retryAfter < TimeSpan.Zero)
            {
                retryAfter = TimeSpan.Zero;
            }
        }

        var request = response.RequestMessage;
        throw new TicketingApiException(status, $"Zendesk answered {request?.Method} {request?.RequestUri?.AbsolutePath} with {status}: {detail}".Trim(), retryAfter);
    }
}
