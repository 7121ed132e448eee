using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SupportPlatform.Testing;

namespace SupportPlatform.Plugins.Ticketing.Tests;

/// <summary>
/// A Zendesk Support API v2 on a loopback port, built from Zendesk's documentation (Zendesk is not reachable here):
/// API-token Basic authentication (<c>{email}/token:{token}</c>, else 401 <c>{"error":"Couldn't authenticate you"}</c>),
/// cursor pagination of organisations, users and comments (<c>page[size]</c>, <c>page[after]</c>, <c>meta.has_more</c>,
/// <c>meta.after_cursor</c>, <c>links.next</c>), the cursor-based incremental ticket export (<c>start_time</c> or
/// <c>cursor</c>, <c>per_page</c>, <c>after_cursor</c>, <c>end_of_stream</c>, <c>include=metric_sets</c>), ticket
/// metrics, user search, and <c>PUT /api/v2/tickets/{id}.json</c> answering the ticket and its audit. Errors use
/// Zendesk's bodies (<c>{"error":"RecordNotFound","description":"Not found"}</c>, <c>RecordInvalid</c> with
/// <c>details</c>); a rate limit answers 429 with <c>Retry-After</c>. Unlike Zendesk, the export does not hold back
/// changes of the last minute (tests would otherwise wait a minute).
/// </summary>
public sealed class FakeZendesk : IAsyncDisposable
{
    public const string ApiEmail = "integration@msp.example";
    public const string ApiToken = "zd-api-token-123";

    private readonly WebApplication app;
    private readonly object gate = new();
    private long nextId = 90_000;

    public FakeZendesk()
    {
        var port = LocalSystem.FreeLoopbackPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        app = builder.Build();
        Url = new Uri($"http://127.0.0.1:{port}/");
        app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            RequestTimes.Enqueue((context.Request.Path + context.Request.QueryString, DateTimeOffset.UtcNow));
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ApiEmail}/token:{ApiToken}"));
            if (context.Request.Path.StartsWithSegments("/api") && context.Request.Headers.Authorization != expected)
            {
                await WriteJson(context, 401, new JsonObject { ["error"] = "Couldn't authenticate you" });
                return;
            }

            var path = context.Request.Path.Value ?? "";
            if (RateLimits.TryGetValue(path, out var remaining) && remaining > 0)
            {
                RateLimits[path] = remaining - 1;
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await WriteJson(context, 429, new JsonObject { ["error"] = "APIRateLimitExceeded", ["description"] = "Rate limit exceeded" });
                return;
            }

            if (Hold is { } hold && path == "/api/v2/incremental/tickets/cursor.json" && context.Request.Query.ContainsKey("cursor"))
            {
                Held.TrySetResult();
                await hold.Task.WaitAsync(context.RequestAborted);
            }

            await next(context);
        });
        Map();
    }

    public Uri Url { get; }

    public ConcurrentQueue<string> Requests { get; } = new();

    public ConcurrentQueue<(string Path, DateTimeOffset At)> RequestTimes { get; } = new();

    /// <summary>Paths answered 429 (Retry-After: 1) so many more times.</summary>
    public ConcurrentDictionary<string, int> RateLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>While set, requests for a later page of the ticket export wait for it (an import caught mid-way).</summary>
    public TaskCompletionSource? Hold { get; set; }

    public TaskCompletionSource Held { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The <c>Retry-After</c> of a rate-limited answer, in seconds (default 1).</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Tickets whose updates are refused with 422 RecordInvalid.</summary>
    public ConcurrentDictionary<long, bool> Invalid { get; } = new();

    public List<JsonObject> Organizations { get; } = [];

    public List<JsonObject> Users { get; } = [];

    public Dictionary<long, JsonObject> Tickets { get; } = [];

    public Dictionary<long, List<JsonObject>> Comments { get; } = [];

    public Dictionary<long, DateTimeOffset> SolvedAt { get; } = [];

    public Dictionary<long, byte[]> Files { get; } = [];

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static async Task<FakeZendesk> StartAsync()
    {
        var fake = new FakeZendesk();
        await fake.app.StartAsync();
        return fake;
    }

    public void AddUser(long id, string name, string email, long? organization, string role = "end-user") =>
        Users.Add(new JsonObject { ["id"] = id, ["name"] = name, ["email"] = email, ["organization_id"] = organization, ["role"] = role });

    public void AddTicket(long id, long requester, long? organization, string subject, string priority, DateTimeOffset created, string description, long? assignee = null)
    {
        lock (gate)
        {
            Tickets[id] = new JsonObject
            {
                ["id"] = id,
                ["url"] = new Uri(Url, $"api/v2/tickets/{id}.json").ToString(),
                ["subject"] = subject,
                ["description"] = description,
                ["status"] = "new",
                ["priority"] = priority,
                ["requester_id"] = requester,
                ["organization_id"] = organization,
                ["assignee_id"] = assignee,
                ["tags"] = new JsonArray("imported"),
                ["created_at"] = Iso(created),
                ["updated_at"] = Iso(created),
            };
            Comments[id] = [];
            AddComment(id, requester, description, true, created);
        }
    }

    /// <summary>A comment written in Zendesk (the ticket's updated_at moves to its time, as in Zendesk).</summary>
    public long AddComment(long ticket, long author, string body, bool isPublic, DateTimeOffset at, (string Name, byte[] Bytes)? file = null)
    {
        lock (gate)
        {
            var id = ++nextId;
            var attachments = new JsonArray();
            if (file is { } f)
            {
                var fileId = ++nextId;
                Files[fileId] = f.Bytes;
                attachments.Add(new JsonObject
                {
                    ["id"] = fileId,
                    ["file_name"] = f.Name,
                    ["content_url"] = new Uri(Url, $"attachments/token/{fileId}/?name={f.Name}").ToString(),
                    ["content_type"] = f.Name.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "text/plain",
                    ["size"] = f.Bytes.Length,
                });
            }

            Comments[ticket].Add(new JsonObject
            {
                ["id"] = id,
                ["type"] = "Comment",
                ["author_id"] = author,
                ["body"] = body,
                ["plain_body"] = body,
                ["public"] = isPublic,
                ["attachments"] = attachments,
                ["created_at"] = Iso(at),
            });
            Tickets[ticket]["updated_at"] = Iso(at);
            return id;
        }
    }

    public void SetStatus(long ticket, string status, DateTimeOffset at)
    {
        lock (gate)
        {
            Tickets[ticket]["status"] = status;
            Tickets[ticket]["updated_at"] = Iso(at);
            if (status is "solved" or "closed" && !SolvedAt.ContainsKey(ticket))
            {
                SolvedAt[ticket] = at;
            }
        }
    }

    public JsonObject Ticket(long id)
    {
        lock (gate)
        {
            return (JsonObject)Tickets[id].DeepClone();
        }
    }

    public IReadOnlyList<JsonObject> CommentsOf(long id)
    {
        lock (gate)
        {
            return Comments[id].Select(c => (JsonObject)c.DeepClone()).ToList();
        }
    }

    /// <summary>A webhook request signed as Zendesk signs it: base64(HMAC-SHA256(secret, timestamp + body)).</summary>
    public static HttpRequestMessage SignedWebhook(string secret, string body, DateTimeOffset? at = null, string? signatureOverride = null)
    {
        var timestamp = Iso(at ?? DateTimeOffset.UtcNow);
        var signature = signatureOverride ?? Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + body)));
        var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/zendesk/") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Zendesk-Webhook-Signature", signature);
        request.Headers.Add("X-Zendesk-Webhook-Signature-Timestamp", timestamp);
        return request;
    }

    private void Map()
    {
        app.MapGet("/api/v2/organizations.json", (HttpContext c) => CursorList(c, "organizations", Snapshot(Organizations)));
        app.MapGet("/api/v2/users.json", (HttpContext c) => CursorList(c, "users", Snapshot(Users)));
        app.MapGet("/api/v2/users/search.json", (HttpContext c) =>
        {
            var query = ((string?)c.Request.Query["query"] ?? "").Replace("email:", "", StringComparison.Ordinal);
            return Json(c, 200, new JsonObject { ["users"] = new JsonArray([.. Snapshot(Users).Where(u => (string?)u["email"] == query)]), ["count"] = 1 });
        });
        app.MapGet("/api/v2/users/{id:long}.json", (HttpContext c, long id) =>
            Snapshot(Users).FirstOrDefault(u => (long)u["id"]! == id) is { } user ? Json(c, 200, new JsonObject { ["user"] = user }) : NotFound(c));
        app.MapGet("/api/v2/incremental/tickets/cursor.json", Export);
        app.MapGet("/api/v2/tickets/{id:long}.json", (HttpContext c, long id) =>
        {
            lock (gate)
            {
                return Tickets.TryGetValue(id, out var t) ? Json(c, 200, new JsonObject { ["ticket"] = t.DeepClone() }) : NotFound(c);
            }
        });
        app.MapGet("/api/v2/tickets/{id:long}/metrics.json", (HttpContext c, long id) =>
        {
            lock (gate)
            {
                return Tickets.ContainsKey(id)
                    ? Json(c, 200, new JsonObject { ["ticket_metric"] = new JsonObject { ["ticket_id"] = id, ["solved_at"] = SolvedAt.TryGetValue(id, out var s) ? Iso(s) : null } })
                    : NotFound(c);
            }
        });
        app.MapGet("/api/v2/tickets/{id:long}/comments.json", (HttpContext c, long id) =>
        {
            List<JsonObject> comments;
            lock (gate)
            {
                if (!Comments.TryGetValue(id, out var list))
                {
                    return NotFound(c);
                }

                comments = list.Select(x => (JsonObject)x.DeepClone()).ToList();
            }

            var authors = comments.Select(x => (long)x["author_id"]!).ToHashSet();
            return CursorList(c, "comments", comments, c.Request.Query["include"] == "users"
                ? new JsonArray([.. Snapshot(Users).Where(u => authors.Contains((long)u["id"]!))])
                : null);
        });
        app.MapPut("/api/v2/tickets/{id:long}.json", Update);
        app.MapGet("/attachments/token/{id:long}/", (HttpContext c, long id) =>
            Files.TryGetValue(id, out var bytes) ? Results.Bytes(bytes, "image/png") : Results.NotFound());
    }

    private IResult Export(HttpContext c)
    {
        var perPage = int.Parse(c.Request.Query["per_page"].FirstOrDefault() ?? "1000", CultureInfo.InvariantCulture);
        List<JsonObject> changed;
        lock (gate)
        {
            changed = Tickets.Values.Select(t => (JsonObject)t.DeepClone())
                .OrderBy(t => DateTimeOffset.Parse((string)t["updated_at"]!, CultureInfo.InvariantCulture)).ThenBy(t => (long)t["id"]!).ToList();
        }

        // The cursor is the position after the last ticket returned: (updated_at, id).
        (DateTimeOffset At, long Id) after;
        if (c.Request.Query["cursor"].FirstOrDefault() is { } cursor)
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split('|');
            after = (DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[0], CultureInfo.InvariantCulture)), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        else if (c.Request.Query["start_time"].FirstOrDefault() is { } start && long.TryParse(start, out var seconds))
        {
            after = (DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(-1), long.MaxValue);
        }
        else
        {
            return Json(c, 400, new JsonObject { ["error"] = "InvalidPaginationParameter", ["description"] = "start_time or cursor is required" });
        }

        var rest = changed.Where(t =>
        {
            var at = DateTimeOffset.Parse((string)t["updated_at"]!, CultureInfo.InvariantCulture);
            return at > after.At || (at == after.At && (long)t["id"]! > after.Id);
        }).ToList();
        var page = rest.Take(perPage).ToList();
        var last = page.Count > 0
            ? (DateTimeOffset.Parse((string)page[^1]["updated_at"]!, CultureInfo.InvariantCulture), (long)page[^1]["id"]!)
            : after;
        var next = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{last.Item1.ToUnixTimeMilliseconds()}|{last.Item2}"));
        var body = new JsonObject
        {
            ["tickets"] = new JsonArray([.. page]),
            ["after_cursor"] = next,
            ["after_url"] = new Uri(Url, $"api/v2/incremental/tickets/cursor.json?cursor={Uri.EscapeDataString(next)}").ToString(),
            ["before_cursor"] = null,
            ["before_url"] = null,
            ["end_of_stream"] = rest.Count <= perPage,
        };
        if (((string?)c.Request.Query["include"] ?? "").Contains("metric_sets", StringComparison.Ordinal))
        {
            lock (gate)
            {
                body["metric_sets"] = new JsonArray([.. page.Select(t => new JsonObject
                {
                    ["ticket_id"] = (long)t["id"]!,
                    ["solved_at"] = SolvedAt.TryGetValue((long)t["id"]!, out var s) ? Iso(s) : null,
                })]);
            }
        }

        return Json(c, 200, body);
    }

    private async Task<IResult> Update(HttpContext c, long id)
    {
        var body = await JsonNode.ParseAsync(c.Request.Body);
        if (body?["ticket"] is not JsonObject change)
        {
            return Json(c, 400, new JsonObject { ["error"] = "InvalidEndpoint", ["description"] = "The request body must have a ticket object" });
        }

        if (Invalid.ContainsKey(id))
        {
            return Json(c, 422, new JsonObject
            {
                ["error"] = "RecordInvalid",
                ["description"] = "Record validation errors",
                ["details"] = new JsonObject { ["base"] = new JsonArray(new JsonObject { ["description"] = "Ticket is closed and cannot be updated" }) },
            });
        }

        var events = new JsonArray();
        lock (gate)
        {
            if (!Tickets.TryGetValue(id, out var ticket))
            {
                return NotFound(c);
            }

            var now = DateTimeOffset.UtcNow;
            if (change["comment"] is JsonObject comment)
            {
                var author = comment["author_id"] is JsonValue a ? (long)a : Snapshot(Users).First(u => (string?)u["email"] == ApiEmail)["id"]!.GetValue<long>();
                var commentId = AddComment(id, author, (string)comment["body"]!, (bool?)comment["public"] ?? true, now);
                events.Add(new JsonObject { ["id"] = commentId, ["type"] = "Comment", ["public"] = (bool?)comment["public"] ?? true, ["author_id"] = author });
            }

            if ((string?)change["status"] is { } status)
            {
                if (status is not ("new" or "open" or "pending" or "hold" or "solved" or "closed"))
                {
                    return Json(c, 422, new JsonObject { ["error"] = "RecordInvalid", ["description"] = "Record validation errors", ["details"] = new JsonObject { ["status"] = new JsonArray(new JsonObject { ["description"] = $"Status: {status} is not valid" }) } });
                }

                SetStatus(id, status, now);
                events.Add(new JsonObject { ["id"] = ++nextId, ["type"] = "Change", ["field_name"] = "status", ["value"] = status });
            }

            if (change.ContainsKey("assignee_id") && change["assignee_id"] is null)
            {
                ticket["assignee_id"] = null;
            }

            if ((string?)change["assignee_email"] is { } email)
            {
                ticket["assignee_id"] = Snapshot(Users).FirstOrDefault(u => (string?)u["email"] == email && (string?)u["role"] is "agent" or "admin")?["id"]?.GetValue<long>()
                    ?? throw new InvalidOperationException("no such agent " + email);
            }

            ticket["updated_at"] = Iso(now);
            return Json(c, 200, new JsonObject
            {
                ["ticket"] = ticket.DeepClone(),
                ["audit"] = new JsonObject { ["id"] = ++nextId, ["ticket_id"] = id, ["created_at"] = Iso(now), ["events"] = events },
            });
        }
    }

    private List<JsonObject> Snapshot(List<JsonObject> list)
    {
        lock (gate)
        {
            return list.Select(x => (JsonObject)x.DeepClone()).ToList();
        }
    }

    private IResult CursorList(HttpContext c, string name, List<JsonObject> all, JsonArray? users = null)
    {
        var size = int.Parse(c.Request.Query["page[size]"].FirstOrDefault() ?? "100", CultureInfo.InvariantCulture);
        if (size > 100)
        {
            return Json(c, 400, new JsonObject { ["error"] = "InvalidPaginationParameter", ["description"] = "page[size] must be at most 100" });
        }

        var start = c.Request.Query["page[after]"].FirstOrDefault() is { } after ? int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(after)), CultureInfo.InvariantCulture) : 0;
        var page = all.Skip(start).Take(size).ToList();
        var more = start + size < all.Count;
        var next = Convert.ToBase64String(Encoding.UTF8.GetBytes((start + page.Count).ToString(CultureInfo.InvariantCulture)));
        var body = new JsonObject
        {
            [name] = new JsonArray([.. page]),
            ["meta"] = new JsonObject { ["has_more"] = more, ["after_cursor"] = more ? next : null, ["before_cursor"] = null },
            ["links"] = new JsonObject { ["next"] = more ? $"{Url}{c.Request.Path.Value!.TrimStart('/')}?page[size]={size}&page[after]={next}" : null, ["prev"] = null },
        };
        if (users is not null)
        {
            body["users"] = users;
        }

        return Json(c, 200, body);
    }

    private static IResult NotFound(HttpContext c) => Json(c, 404, new JsonObject { ["error"] = "RecordNotFound", ["description"] = "Not found" });

    private static IResult Json(HttpContext c, int status, JsonObject body) =>
        Results.Text(body.ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8, status);

    private static async Task WriteJson(HttpContext c, int status, JsonObject body)
    {
        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json; charset=utf-8";
        await c.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        Hold?.TrySetResult();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
