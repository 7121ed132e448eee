using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Sdk.Ticketing;

namespace SupportPlatform.Plugins.Ticketing.Freshdesk;

/// <summary>
/// The Freshdesk API v2 as an <see cref="ITicketingAdapter"/>: companies and contacts by page (<c>page</c>,
/// <c>per_page</c>, the <c>Link: rel="next"</c> header), tickets changed since a time
/// (<c>/api/v2/tickets?updated_since=&amp;order_by=updated_at&amp;order_type=asc&amp;include=stats,description</c>),
/// conversations, replies and notes, and <c>PUT /api/v2/tickets/{id}</c>. Authenticates with an API key (HTTP Basic,
/// key and <c>X</c>).
/// </summary>
/// <remarks>
/// The ticket cursor is <c>&lt;updated_since&gt;|&lt;page&gt;</c>. Freshdesk serves at most 300 pages of a list, so
/// after page 300 the export continues from the last ticket's <c>updated_at</c>; at the end it continues from the
/// newest <c>updated_at</c> seen, which returns that ticket again on the next poll (harmless: syncing is idempotent).
/// </remarks>
internal sealed class FreshdeskAdapter : ITicketingAdapter, IDisposable
{
    public const string SystemName = "freshdesk";
    private const int MaxPage = 300;

    private static readonly HttpClient Anonymous = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(60) };

    private readonly FreshdeskSettings settings;
    private readonly HttpClient http;
    private readonly ConcurrentDictionary<string, (string? Email, string Name)?> agents = new(StringComparer.Ordinal);

    public FreshdeskAdapter(FreshdeskSettings settings)
    {
        this.settings = settings;
        http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
        {
            BaseAddress = settings.Url,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.ApiKey}:X")));
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public string System => SystemName;

    public async Task<TicketingPage<ExternalOrganization>> ListOrganizationsAsync(string? cursor, CancellationToken cancellationToken)
    {
        var page = PageNumber(cursor);
        var (items, more) = await GetListAsync($"api/v2/companies?page={page}&per_page={settings.PageSize}", cancellationToken);
        return new TicketingPage<ExternalOrganization>
        {
            Items = items.Select(c => new ExternalOrganization
            {
                Id = Id(c!["id"]),
                Name = (string?)c["name"] ?? "",
                Domains = (c["domains"] as JsonArray ?? []).Select(d => ((string?)d ?? "").Trim().ToLowerInvariant()).Where(d => d.Length > 0).ToList(),
            }).ToList(),
            NextCursor = more ? (page + 1).ToString(CultureInfo.InvariantCulture) : null,
            EndOfStream = !more,
        };
    }

    public async Task<TicketingPage<ExternalUser>> ListUsersAsync(string? cursor, CancellationToken cancellationToken)
    {
        var page = PageNumber(cursor);
        var (items, more) = await GetListAsync($"api/v2/contacts?page={page}&per_page={settings.PageSize}", cancellationToken);
        return new TicketingPage<ExternalUser>
        {
            Items = items.Select(c => new ExternalUser
            {
                Id = Id(c!["id"]),
                Name = (string?)c["name"] ?? "",
                Email = ((string?)c["email"])?.Trim().ToLowerInvariant(),
                OrganizationId = c["company_id"] is JsonValue company ? Id(company) : null,
            }).ToList(),
            NextCursor = more ? (page + 1).ToString(CultureInfo.InvariantCulture) : null,
            EndOfStream = !more,
        };
    }

    public async Task<TicketingPage<ExternalTicket>> ListChangedTicketsAsync(string? cursor, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var (from, page) = cursor is null ? (since.ToUniversalTime(), 1) : ParseCursor(cursor);
        var (items, more) = await GetListAsync(
            $"api/v2/tickets?updated_since={Uri.EscapeDataString(from.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))}" +
            $"&order_by=updated_at&order_type=asc&include=stats,description&page={page}&per_page={settings.PageSize}", cancellationToken);
        var tickets = new List<ExternalTicket>();
        foreach (var item in items)
        {
            // The list leaves out a ticket's own files ("View a ticket" has them): read those tickets alone, so the
            // first message's attachments come over too.
            var ticket = item is JsonObject listed && !listed.ContainsKey("attachments")
                ? await GetTicketAsync(Id(item["id"]), cancellationToken)
                : null;
            tickets.Add(ticket ?? await ToTicketAsync(item!, cancellationToken));
        }

        var newest = tickets.Count > 0 ? tickets.Max(t => t.UpdatedAt) : from;
        string next;
        if (!more)
        {
            next = Cursor(newest > from ? newest : from, 1);
        }
        else if (page + 1 > MaxPage)
        {
            next = Cursor(tickets[^1].UpdatedAt, 1);
        }
        else
        {
            next = Cursor(from, page + 1);
        }

        return new TicketingPage<ExternalTicket> { Items = tickets, NextCursor = next, EndOfStream = !more };
    }

    public async Task<ExternalTicket?> GetTicketAsync(string ticketId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/v2/tickets/{Uri.EscapeDataString(ticketId)}?include=stats", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await ThrowIfFailedAsync(response, cancellationToken);
        var ticket = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        return await ToTicketAsync(ticket!, cancellationToken);
    }

    public async Task<IReadOnlyList<ExternalComment>> ListCommentsAsync(string ticketId, CancellationToken cancellationToken)
    {
        var comments = new List<ExternalComment>();
        for (var page = 1; ; page++)
        {
            var (items, more) = await GetListAsync($"api/v2/tickets/{Uri.EscapeDataString(ticketId)}/conversations?page={page}&per_page=100", cancellationToken);
            foreach (var item in items)
            {
                var incoming = (bool?)item!["incoming"] ?? false;
                var userId = item["user_id"] is JsonValue u ? Id(u) : "";
                var agent = incoming || userId.Length == 0 ? null : await AgentAsync(userId, cancellationToken);
                comments.Add(new ExternalComment
                {
                    Id = Id(item["id"]),
                    AuthorId = userId,
                    AuthorIsAgent = agent is not null,
                    AuthorEmail = agent?.Email ?? ((string?)item["from_email"])?.Trim().ToLowerInvariant(),
                    AuthorName = agent?.Name,
                    Public = !((bool?)item["private"] ?? false),
                    Body = (string?)item["body_text"] ?? (string?)item["body"] ?? "",
                    CreatedAt = Time(item["created_at"]),
                    Attachments = Attachments(item),
                });
            }

            if (!more || page >= MaxPage)
            {
                return comments;
            }
        }
    }

    public async Task<Stream> OpenAttachmentAsync(ExternalAttachment attachment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attachment);

        // The API key goes to the helpdesk's own host only; attachment URLs elsewhere (S3) are pre-signed.
        var client = string.Equals(attachment.ContentUrl.Host, settings.Url.Host, StringComparison.OrdinalIgnoreCase) ? http : Anonymous;
        var response = await client.GetAsync(attachment.ContentUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    public async Task<string> AddCommentAsync(string ticketId, ExternalCommentDraft comment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(comment);
        var agentId = comment.AuthorEmail is { Length: > 0 } email ? await FindAgentIdAsync(email, cancellationToken) : null;
        var text = agentId is null && comment.AuthorName is { Length: > 0 } name ? $"{name}:\n\n{comment.Body}" : comment.Body;

        // Freshdesk takes HTML: the text is encoded, its line breaks kept.
        var body = new JsonObject { ["body"] = WebUtility.HtmlEncode(text).Replace("\n", "<br>", StringComparison.Ordinal) };
        if (agentId is not null)
        {
            body["user_id"] = long.Parse(agentId, CultureInfo.InvariantCulture);
        }

        string path;
        if (comment.Public)
        {
            path = $"api/v2/tickets/{Uri.EscapeDataString(ticketId)}/reply";
        }
        else
        {
            body["private"] = true;
            path = $"api/v2/tickets/{Uri.EscapeDataString(ticketId)}/notes";
        }

        var created = await SendAsync(HttpMethod.Post, path, body, cancellationToken);
        return Id(created["id"]);
    }

    public async Task<ExternalTicket> UpdateTicketAsync(string ticketId, ExternalTicketUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var body = new JsonObject();
        if (update.Status is { } status)
        {
            body["status"] = status switch
            {
                ExternalTicketStatus.Pending => 3,
                ExternalTicketStatus.OnHold => 7,
                ExternalTicketStatus.Solved => 4,
                ExternalTicketStatus.Closed => 5,
                _ => 2,
            };
        }

        if (update.AssigneeEmail is { } assignee)
        {
            body["responder_id"] = assignee.Length == 0
                ? null
                : long.Parse(await FindAgentIdAsync(assignee, cancellationToken)
                    ?? throw new TicketingApiException(404, $"Freshdesk has no agent with the address {assignee}; the assignment was not copied.", null), CultureInfo.InvariantCulture);
        }

        var ticket = await SendAsync(HttpMethod.Put, $"api/v2/tickets/{Uri.EscapeDataString(ticketId)}", body, cancellationToken);
        return await ToTicketAsync(ticket, cancellationToken);
    }

    public void Dispose() => http.Dispose();

    private async Task<ExternalTicket> ToTicketAsync(JsonNode ticket, CancellationToken ct)
    {
        var responder = ticket["responder_id"] is JsonValue r ? await AgentAsync(Id(r), ct) : null;
        var id = Id(ticket["id"]);
        var deleted = (bool?)ticket["deleted"] == true || (bool?)ticket["spam"] == true;
        return new ExternalTicket
        {
            Id = id,
            RequesterId = ticket["requester_id"] is JsonValue q ? Id(q) : "",
            OrganizationId = ticket["company_id"] is JsonValue c ? Id(c) : null,
            Subject = (string?)ticket["subject"] ?? "",
            Description = (string?)ticket["description_text"] ?? "",
            Status = deleted ? ExternalTicketStatus.Deleted : ((int?)ticket["status"]) switch
            {
                3 or 6 => ExternalTicketStatus.Pending,
                7 => ExternalTicketStatus.OnHold,
                4 => ExternalTicketStatus.Solved,
                5 => ExternalTicketStatus.Closed,
                _ => ExternalTicketStatus.Open,
            },
            Priority = ((int?)ticket["priority"]) switch
            {
                4 => ExternalTicketPriority.Urgent,
                3 => ExternalTicketPriority.High,
                1 => ExternalTicketPriority.Low,
                _ => ExternalTicketPriority.Normal,
            },
            AssigneeEmail = responder?.Email,
            Tags = (ticket["tags"] as JsonArray ?? []).Select(t => (string?)t ?? "").Where(t => t.Length > 0).ToList(),
            CreatedAt = Time(ticket["created_at"]),
            UpdatedAt = Time(ticket["updated_at"]),
            SolvedAt = ticket["stats"]?["resolved_at"] is JsonValue solved ? Time(solved) : null,
            Url = new Uri(settings.Url, $"a/tickets/{id}"),
            Attachments = Attachments(ticket),
        };
    }

    private async Task<(string? Email, string Name)?> AgentAsync(string userId, CancellationToken ct)
    {
        if (agents.TryGetValue(userId, out var known))
        {
            return known;
        }

        using var response = await http.GetAsync($"api/v2/agents/{Uri.EscapeDataString(userId)}", ct);
        (string? Email, string Name)? agent = null;
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await ThrowIfFailedAsync(response, ct);
            var node = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            agent = (((string?)node?["contact"]?["email"])?.Trim().ToLowerInvariant(), (string?)node?["contact"]?["name"] ?? $"Freshdesk agent {userId}");
        }

        agents[userId] = agent;
        return agent;
    }

    private async Task<string?> FindAgentIdAsync(string email, CancellationToken ct)
    {
        var (items, _) = await GetListAsync($"api/v2/agents?email={Uri.EscapeDataString(email)}", ct);
        return items.FirstOrDefault() is { } agent ? Id(agent["id"]) : null;
    }

    private static List<ExternalAttachment> Attachments(JsonNode item) =>
        (item["attachments"] as JsonArray ?? []).Select(a => new ExternalAttachment
        {
            Id = Id(a!["id"]),
            FileName = (string?)a["name"] ?? "attachment",
            ContentType = (string?)a["content_type"],
            Size = (long?)a["size"] ?? 0,
            ContentUrl = new Uri((string)a["attachment_url"]!),
        }).ToList();

    private static int PageNumber(string? cursor) =>
        cursor is null ? 1 : int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page > 0 ? page : 1;

    private static string Cursor(DateTimeOffset from, int page) =>
        from.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "|" + page.ToString(CultureInfo.InvariantCulture);

    private static (DateTimeOffset From, int Page) ParseCursor(string cursor)
    {
        var parts = cursor.Split('|');
        return parts.Length == 2
            && DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var from)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page > 0
            ? (from, page)
            : throw new TicketingApiException(0, $"The stored Freshdesk cursor '{cursor}' is not '<updated_since>|<page>'; restart the import.", null);
    }

    private static string Id(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var number) => number.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        _ => throw new TicketingApiException(200, "Freshdesk answered a record without an id.", null),
    };

    private static DateTimeOffset Time(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new TicketingApiException(200, $"Freshdesk answered a time that is not ISO 8601: '{node}'.", null);

    private async Task<(JsonArray Items, bool More)> GetListAsync(string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        await ThrowIfFailedAsync(response, ct);
        var items = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct) as JsonArray
            ?? throw new TicketingApiException((int)response.StatusCode, $"Freshdesk answered GET {path} with something other than a list.", null);
        var more = response.Headers.TryGetValues("Link", out var links) && links.Any(l => l.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase));
        return (items, more);
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, ct);
        await ThrowIfFailedAsync(response, ct);
        return await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct)
            ?? throw new TicketingApiException((int)response.StatusCode, $"Freshdesk answered {method} {path} with an empty body.", null);
    }

    /// <summary>Turns an error answer into a <see cref="TicketingApiException"/> with Freshdesk's own words and its <c>Retry-After</c>.</summary>
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
            if (text.Length > 0 && JsonNode.Parse(text) is JsonObject error)
            {
                // {"description":"Validation failed","errors":[{"field","message","code"}]} or {"code","message"}.
                detail = error["errors"] is JsonArray errors
                    ? $"{(string?)error["description"]}: " + string.Join("; ", errors.Select(e => $"{(string?)e?["field"]}: {(string?)e?["message"]} ({(string?)e?["code"]})"))
                    : $"{(string?)error["code"]}: {(string?)error["message"]}";
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
        throw new TicketingApiException(status, $"Freshdesk answered {request?.Method} {request?.RequestUri?.AbsolutePath} with {status}: {detail}".Trim(), retryAfter);
    }
}
