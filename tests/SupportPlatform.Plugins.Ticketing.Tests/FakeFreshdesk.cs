using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SupportPlatform.Testing;

namespace SupportPlatform.Plugins.Ticketing.Tests;

/// <summary>
/// A Freshdesk API v2 on a loopback port, built from Freshdesk's documentation (Freshdesk is not reachable here): API-key
/// Basic authentication (key and <c>X</c>, else 401 <c>{"code":"invalid_credentials","message":...}</c>), page-numbered
/// lists (<c>page</c>, <c>per_page</c>, a <c>Link: &lt;...&gt;; rel="next"</c> header while more follow), tickets
/// filtered by <c>updated_since</c> and ordered by <c>updated_at</c> with <c>include=stats</c>, conversations, agents
/// (by id and by email), replies, notes and ticket updates; rate-limit headers (<c>X-RateLimit-Total</c>,
/// <c>X-RateLimit-Remaining</c>, <c>X-RateLimit-Used-CurrentRequest</c>) on every answer and 429 with
/// <c>Retry-After</c>; validation errors as <c>{"description":"Validation failed","errors":[{field,message,code}]}</c>.
/// Statuses: 2 open, 3 pending, 4 resolved, 5 closed, 7 waiting on third party; priorities 1 low to 4 urgent.
/// </summary>
public sealed class FakeFreshdesk : IAsyncDisposable
{
    public const string ApiKey = "fd-api-key-abc";

    private readonly WebApplication app;
    private readonly object gate = new();
    private long nextId = 70_000;
    private int remaining = 1000;

    public FakeFreshdesk()
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
            RequestTimes.Enqueue((context.Request.Path.Value ?? "", DateTimeOffset.UtcNow));
            context.Response.Headers["X-RateLimit-Total"] = "1000";
            context.Response.Headers["X-RateLimit-Remaining"] = Interlocked.Decrement(ref remaining).ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["X-RateLimit-Used-CurrentRequest"] = "1";
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ApiKey}:X"));
            // Attachment URLs are pre-signed (Freshdesk keeps files on S3): they need no API key.
            if (context.Request.Headers.Authorization != expected && !(context.Request.Path.StartsWithSegments("/s3") && context.Request.Query.ContainsKey("X-Amz-Signature")))
            {
                await WriteJson(context, 401, new JsonObject { ["code"] = "invalid_credentials", ["message"] = "You have to be logged in to perform this action." });
                return;
            }

            var path = context.Request.Path.Value ?? "";
            if (RateLimits.TryGetValue(path, out var left) && left > 0)
            {
                RateLimits[path] = left - 1;
                context.Response.Headers.RetryAfter = "1";
                await WriteJson(context, 429, new JsonObject { ["code"] = "rate_limit_exceeded", ["message"] = "You have exceeded the limit of requests per minute" });
                return;
            }

            await next(context);
        });
        Map();
    }

    public Uri Url { get; }

    public ConcurrentQueue<string> Requests { get; } = new();

    public ConcurrentQueue<(string Path, DateTimeOffset At)> RequestTimes { get; } = new();

    public ConcurrentDictionary<string, int> RateLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>Tickets whose updates are refused with a validation error.</summary>
    public ConcurrentDictionary<long, bool> Locked { get; } = new();

    public List<JsonObject> Companies { get; } = [];

    public List<JsonObject> Contacts { get; } = [];

    public List<JsonObject> Agents { get; } = [];

    public Dictionary<long, JsonObject> Tickets { get; } = [];

    public Dictionary<long, List<JsonObject>> Conversations { get; } = [];

    /// <summary>Attachment contents by id, served at their pre-signed <c>attachment_url</c>.</summary>
    public ConcurrentDictionary<long, byte[]> Files { get; } = new();

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static async Task<FakeFreshdesk> StartAsync()
    {
        var fake = new FakeFreshdesk();
        await fake.app.StartAsync();
        return fake;
    }

    public void AddTicket(long id, long requester, long? company, string subject, int priority, DateTimeOffset created, string description, long? responder = null, (string Name, byte[] Bytes)? file = null)
    {
        lock (gate)
        {
            Tickets[id] = new JsonObject
            {
                ["id"] = id,
                ["subject"] = subject,
                ["description"] = $"<div>{description}</div>",
                ["description_text"] = description,
                ["status"] = 2,
                ["priority"] = priority,
                ["requester_id"] = requester,
                ["responder_id"] = responder,
                ["company_id"] = company,
                ["tags"] = new JsonArray(),
                ["attachments"] = Attachments(file, created),
                ["spam"] = false,
                ["created_at"] = Iso(created),
                ["updated_at"] = Iso(created),
                ["stats"] = new JsonObject { ["resolved_at"] = null, ["closed_at"] = null, ["first_responded_at"] = null },
            };
            Conversations[id] = [];
        }
    }

    public long AddConversation(long ticket, long user, string text, bool incoming, bool isPrivate, DateTimeOffset at, (string Name, byte[] Bytes)? file = null)
    {
        lock (gate)
        {
            var id = ++nextId;
            Conversations[ticket].Add(new JsonObject
            {
                ["id"] = id,
                ["body"] = $"<div>{text}</div>",
                ["body_text"] = text,
                ["incoming"] = incoming,
                ["private"] = isPrivate,
                ["user_id"] = user,
                ["source"] = isPrivate ? 2 : 0,
                ["ticket_id"] = ticket,
                ["attachments"] = Attachments(file, at),
                ["created_at"] = Iso(at),
                ["updated_at"] = Iso(at),
            });
            Tickets[ticket]["updated_at"] = Iso(at);
            return id;
        }
    }

    public void SetStatus(long ticket, int status, DateTimeOffset at)
    {
        lock (gate)
        {
            Tickets[ticket]["status"] = status;
            Tickets[ticket]["updated_at"] = Iso(at);
            if (status is 4 or 5 && Tickets[ticket]["stats"]!["resolved_at"] is null)
            {
                Tickets[ticket]["stats"]!["resolved_at"] = Iso(at);
            }
        }
    }

    /// <summary>An agent (re)assigns or unassigns the ticket in Freshdesk.</summary>
    public void SetResponder(long ticket, long? agent, DateTimeOffset at)
    {
        lock (gate)
        {
            Tickets[ticket]["responder_id"] = agent;
            Tickets[ticket]["updated_at"] = Iso(at);
        }
    }

    public JsonObject Ticket(long id)
    {
        lock (gate)
        {
            return (JsonObject)Tickets[id].DeepClone();
        }
    }

    public IReadOnlyList<JsonObject> ConversationsOf(long id)
    {
        lock (gate)
        {
            return Conversations[id].Select(c => (JsonObject)c.DeepClone()).ToList();
        }
    }

    /// <summary>Freshdesk's attachment objects: id, name, content_type, size, a pre-signed attachment_url.</summary>
    private JsonArray Attachments((string Name, byte[] Bytes)? file, DateTimeOffset at)
    {
        if (file is not { } f)
        {
            return [];
        }

        var id = Interlocked.Increment(ref nextId);
        Files[id] = f.Bytes;
        return new JsonArray(new JsonObject
        {
            ["id"] = id,
            ["name"] = f.Name,
            ["content_type"] = Path.GetExtension(f.Name).ToLowerInvariant() switch { ".png" => "image/png", ".pdf" => "application/pdf", _ => "text/plain" },
            ["size"] = f.Bytes.Length,
            ["created_at"] = Iso(at),
            ["updated_at"] = Iso(at),
            ["attachment_url"] = $"{Url}s3/attachments/{id}/{Uri.EscapeDataString(f.Name)}?X-Amz-Expires=300&X-Amz-Signature=fake{id}",
        });
    }

    private void Map()
    {
        app.MapGet("/s3/attachments/{id:long}/{name}", (long id) =>
            Files.TryGetValue(id, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.StatusCode(404));
        app.MapGet("/api/v2/companies", (HttpContext c) => Page(c, Snapshot(Companies)));
        app.MapGet("/api/v2/contacts", (HttpContext c) => Page(c, Snapshot(Contacts)));
        app.MapGet("/api/v2/agents", (HttpContext c) =>
        {
            var email = (string?)c.Request.Query["email"];
            return Page(c, Snapshot(Agents).Where(a => email is null || (string?)a["contact"]!["email"] == email).ToList());
        });
        app.MapGet("/api/v2/agents/{id:long}", (HttpContext c, long id) =>
            Snapshot(Agents).FirstOrDefault(a => (long)a["id"]! == id) is { } agent ? Json(c, 200, agent) : Results.StatusCode(404));
        app.MapGet("/api/v2/tickets", (HttpContext c) =>
        {
            if (c.Request.Query["updated_since"].FirstOrDefault() is not { } since
                || !DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var from))
            {
                return Json(c, 400, new JsonObject
                {
                    ["description"] = "Validation failed",
                    ["errors"] = new JsonArray(new JsonObject { ["field"] = "updated_since", ["message"] = "It should be in the 'valid date time' format", ["code"] = "invalid_value" }),
                });
            }

            List<JsonObject> tickets;
            lock (gate)
            {
                tickets = Tickets.Values.Where(t => DateTimeOffset.Parse((string)t["updated_at"]!, CultureInfo.InvariantCulture) >= from)
                    .OrderBy(t => DateTimeOffset.Parse((string)t["updated_at"]!, CultureInfo.InvariantCulture)).ThenBy(t => (long)t["id"]!)
                    .Select(t => (JsonObject)t.DeepClone()).ToList();
            }

            if (!((string?)c.Request.Query["include"] ?? "").Contains("stats", StringComparison.Ordinal))
            {
                tickets.ForEach(t => t.Remove("stats"));
            }

            // As documented, the list does not carry a ticket's attachments; "View a ticket" does.
            tickets.ForEach(t => t.Remove("attachments"));

            return Page(c, tickets);
        });
        app.MapGet("/api/v2/tickets/{id:long}", (HttpContext c, long id) =>
        {
            lock (gate)
            {
                return Tickets.TryGetValue(id, out var t) ? Json(c, 200, (JsonObject)t.DeepClone()) : Results.StatusCode(404);
            }
        });
        app.MapGet("/api/v2/tickets/{id:long}/conversations", (HttpContext c, long id) =>
        {
            lock (gate)
            {
                return Conversations.TryGetValue(id, out var list) ? Page(c, list.Select(x => (JsonObject)x.DeepClone()).ToList()) : Results.StatusCode(404);
            }
        });
        app.MapPost("/api/v2/tickets/{id:long}/reply", (HttpContext c, long id) => Write(c, id, note: false));
        app.MapPost("/api/v2/tickets/{id:long}/notes", (HttpContext c, long id) => Write(c, id, note: true));
        app.MapPut("/api/v2/tickets/{id:long}", async (HttpContext c, long id) =>
        {
            var body = (await JsonNode.ParseAsync(c.Request.Body)) as JsonObject ?? [];
            lock (gate)
            {
                if (!Tickets.TryGetValue(id, out var ticket))
                {
                    return Results.StatusCode(404);
                }

                if (Locked.ContainsKey(id))
                {
                    return Json(c, 400, new JsonObject
                    {
                        ["description"] = "Validation failed",
                        ["errors"] = new JsonArray(new JsonObject { ["field"] = "status", ["message"] = "Ticket is locked for editing", ["code"] = "invalid_value" }),
                    });
                }

                if (body["status"] is JsonValue s && s.GetValue<int>() is not (2 or 3 or 4 or 5 or 6 or 7))
                {
                    return Json(c, 400, new JsonObject
                    {
                        ["description"] = "Validation failed",
                        ["errors"] = new JsonArray(new JsonObject { ["field"] = "status", ["message"] = "It should be one of these values: '2,3,4,5,6,7'", ["code"] = "invalid_value" }),
                    });
                }

                if (body.ContainsKey("responder_id"))
                {
                    if (body["responder_id"] is JsonValue r && !Agents.Any(a => (long)a["id"]! == r.GetValue<long>()))
                    {
                        return Json(c, 400, new JsonObject
                        {
                            ["description"] = "Validation failed",
                            ["errors"] = new JsonArray(new JsonObject { ["field"] = "responder_id", ["message"] = "There is no agent matching the given responder_id", ["code"] = "invalid_value" }),
                        });
                    }

                    ticket["responder_id"] = body["responder_id"]?.DeepClone();
                }

                if (body["status"] is JsonValue status)
                {
                    SetStatus(id, status.GetValue<int>(), DateTimeOffset.UtcNow);
                }

                ticket["updated_at"] = Iso(DateTimeOffset.UtcNow);
                return Json(c, 200, (JsonObject)ticket.DeepClone());
            }
        });
    }

    private async Task<IResult> Write(HttpContext c, long id, bool note)
    {
        var body = (await JsonNode.ParseAsync(c.Request.Body)) as JsonObject ?? [];
        if (string.IsNullOrWhiteSpace((string?)body["body"]))
        {
            return Json(c, 400, new JsonObject
            {
                ["description"] = "Validation failed",
                ["errors"] = new JsonArray(new JsonObject { ["field"] = "body", ["message"] = "It should not be blank as this is a mandatory field", ["code"] = "invalid_value" }),
            });
        }

        lock (gate)
        {
            if (!Tickets.ContainsKey(id))
            {
                return Results.StatusCode(404);
            }

            var user = body["user_id"] is JsonValue u ? u.GetValue<long>() : (long)Agents[0]["id"]!;
            var html = (string)body["body"]!;
            var text = System.Net.WebUtility.HtmlDecode(html.Replace("<br>", "\n", StringComparison.Ordinal));
            var conversation = AddConversation(id, user, text, incoming: false, isPrivate: note && ((bool?)body["private"] ?? true), DateTimeOffset.UtcNow);
            return Json(c, 201, (JsonObject)Conversations[id].Single(x => (long)x["id"]! == conversation).DeepClone());
        }
    }

    private List<JsonObject> Snapshot(List<JsonObject> list)
    {
        lock (gate)
        {
            return list.Select(x => (JsonObject)x.DeepClone()).ToList();
        }
    }

    private IResult Page(HttpContext c, List<JsonObject> all)
    {
        var page = int.Parse(c.Request.Query["page"].FirstOrDefault() ?? "1", CultureInfo.InvariantCulture);
        var perPage = int.Parse(c.Request.Query["per_page"].FirstOrDefault() ?? "30", CultureInfo.InvariantCulture);
        if (perPage > 100)
        {
            return Json(c, 400, new JsonObject
            {
                ["description"] = "Validation failed",
                ["errors"] = new JsonArray(new JsonObject { ["field"] = "per_page", ["message"] = "It should be a Positive Integer less than or equal to 100", ["code"] = "invalid_value" }),
            });
        }

        var items = all.Skip((page - 1) * perPage).Take(perPage).ToList();
        if (page * perPage < all.Count)
        {
            var next = QueryString.Create(c.Request.Query.Where(q => q.Key != "page").Select(q => new KeyValuePair<string, string?>(q.Key, q.Value.ToString())).Append(new("page", (page + 1).ToString(CultureInfo.InvariantCulture))));
            c.Response.Headers.Link = $"<{Url}{c.Request.Path.Value!.TrimStart('/')}{next}>; rel=\"next\"";
        }

        return Results.Text(new JsonArray([.. items]).ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8, 200);
    }

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
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
