using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SupportPlatform.Testing;

namespace SupportPlatform.Plugins.Telephony.Twilio.Tests;

/// <summary>
/// A fake Twilio REST API (2010-04-01) on a loopback port, built from Twilio's documented shapes: HTTP Basic auth with
/// the account SID and auth token (401 with error 20003 otherwise), form-encoded <c>POST
/// /2010-04-01/Accounts/{AccountSid}/Messages.json</c> and <c>.../Calls.json</c> answered 201 with the resource's JSON
/// (snake_case members, <c>SM</c>/<c>CA</c> SIDs, status <c>queued</c>), and errors as Twilio's JSON error body
/// (<c>code</c>, <c>message</c>, <c>more_info</c>, <c>status</c>): 400 with 21211 for an invalid <c>To</c>, 21602 for a
/// message without a body, 21205 for a call without <c>Url</c> or <c>Twiml</c>, 404 with 20404 for another account,
/// and 429 with 20429 when <see cref="FailNext"/> says so. Tests play Twilio's callbacks from what it recorded.
/// </summary>
public sealed partial class FakeTwilio : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string FromNumber = "+442079460199";

    private readonly WebApplication app;
    private readonly string authToken;
    private int next;

    public FakeTwilio(string authToken)
    {
        this.authToken = authToken;
        var port = LocalSystem.FreeLoopbackPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/2010-04-01/Accounts/{account}/Messages.json", (string account, HttpContext http) => CreateAsync(account, http, "Messages"));
        app.MapPost("/2010-04-01/Accounts/{account}/Calls.json", (string account, HttpContext http) => CreateAsync(account, http, "Calls"));
        app.MapGet("/2010-04-01/Accounts/{account}/Messages.json", (string account, HttpContext http) => List(account, http));
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Url { get; }

    /// <summary>Every accepted or refused create request: the resource ("Messages"/"Calls"), its form, and the SID given (null when refused).</summary>
    public ConcurrentQueue<Created> Requests { get; } = new();

    /// <summary>Refusals to answer the next requests with, in order: (HTTP status, Twilio error code, message).</summary>
    public ConcurrentQueue<(int Status, int Code, string Message)> FailNext { get; } = new();

    /// <summary>
    /// The next message whose body contains this text is created at Twilio but its answer is lost (the client gets a
    /// 500), as when a connection drops after the request was taken; then the text is cleared.
    /// </summary>
    public string? LoseAnswerOnceFor;

    /// <summary>How many times the Messages list was read.</summary>
    public int ListReads;

    private readonly ConcurrentQueue<JsonObject> messages = new();

    public Task StartAsync() => app.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task<IResult> CreateAsync(string account, HttpContext http, string resource)
    {
        if (!Authorized(http.Request))
        {
            return Error(401, 20003, "Authenticate");
        }

        if (account != AccountSid)
        {
            return Error(404, 20404, $"The requested resource /2010-04-01/Accounts/{account}/{resource}.json was not found");
        }

        var form = (await http.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        if (FailNext.TryDequeue(out var failure))
        {
            Requests.Enqueue(new Created(resource, form, null));
            return Error(failure.Status, failure.Code, failure.Message);
        }

        var to = form.GetValueOrDefault("To") ?? "";
        if (!E164().IsMatch(to))
        {
            Requests.Enqueue(new Created(resource, form, null));
            return Error(400, 21211, $"The 'To' number {to} is not a valid phone number.");
        }

        if (resource == "Messages" && string.IsNullOrEmpty(form.GetValueOrDefault("Body")))
        {
            Requests.Enqueue(new Created(resource, form, null));
            return Error(400, 21602, "Message body is required.");
        }

        if (resource == "Calls" && string.IsNullOrEmpty(form.GetValueOrDefault("Url")) && string.IsNullOrEmpty(form.GetValueOrDefault("Twiml")))
        {
            Requests.Enqueue(new Created(resource, form, null));
            return Error(400, 21205, "Url parameter is required.");
        }

        var sid = (resource == "Messages" ? "SM" : "CA") + Interlocked.Increment(ref next).ToString("x32", CultureInfo.InvariantCulture);
        var now = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
        var uri = $"/2010-04-01/Accounts/{AccountSid}/{resource}/{sid}.json";
        var body = new JsonObject
        {
            ["account_sid"] = AccountSid, ["api_version"] = "2010-04-01", ["sid"] = sid, ["status"] = "queued", ["to"] = to,
            ["from"] = form.GetValueOrDefault("From"), ["direction"] = "outbound-api", ["date_created"] = now, ["date_updated"] = now, ["uri"] = uri,
        };
        if (resource == "Messages")
        {
            body["body"] = form["Body"];
            body["num_segments"] = "1";
            body["num_media"] = "0";
            body["error_code"] = null;
            body["error_message"] = null;
            body["price"] = null;
            body["price_unit"] = "USD";
            body["subresource_uris"] = new JsonObject { ["media"] = uri.Replace(".json", "/Media.json", StringComparison.Ordinal) };
        }
        else
        {
            body["to_formatted"] = to;
            body["from_formatted"] = form.GetValueOrDefault("From");
            body["parent_call_sid"] = null;
            body["start_time"] = null;
            body["end_time"] = null;
            body["duration"] = null;
            body["answered_by"] = null;
            body["caller_name"] = null;
        }

        Requests.Enqueue(new Created(resource, form, sid));
        if (resource == "Messages")
        {
            messages.Enqueue(body);
        }

        if (LoseAnswerOnceFor is { } lose && resource == "Messages" && form["Body"].Contains(lose, StringComparison.Ordinal)
            && Interlocked.CompareExchange(ref LoseAnswerOnceFor, null, lose) == lose)
        {
            return Error(500, 20500, "Internal Server Error");
        }

        return Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, 201);
    }

    /// <summary>The Messages list resource, newest first, filtered by To and From as Twilio does (no paging beyond the first page).</summary>
    private IResult List(string account, HttpContext http)
    {
        if (!Authorized(http.Request))
        {
            return Error(401, 20003, "Authenticate");
        }

        Interlocked.Increment(ref ListReads);
        var to = http.Request.Query["To"].ToString();
        var from = http.Request.Query["From"].ToString();
        var size = int.TryParse(http.Request.Query["PageSize"], out var n) ? n : 50;
        var page = messages.Reverse().Where(m => (to.Length == 0 || (string?)m["to"] == to) && (from.Length == 0 || (string?)m["from"] == from)).Take(size)
            .Select(m => m.DeepClone()).ToArray();
        var uri = $"/2010-04-01/Accounts/{account}/Messages.json?PageSize={size}&Page=0";
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(page), ["page"] = 0, ["page_size"] = size, ["start"] = 0, ["end"] = Math.Max(0, page.Length - 1),
            ["uri"] = uri, ["first_page_uri"] = uri, ["next_page_uri"] = null, ["previous_page_uri"] = null,
        };
        return Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, 200);
    }

    private static IResult Error(int status, int code, string message) =>
        Results.Text(
            new JsonObject { ["code"] = code, ["message"] = message, ["more_info"] = $"https://www.twilio.com/docs/errors/{code}", ["status"] = status }.ToJsonString(),
            "application/json", Encoding.UTF8, status);

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
        return pair == $"{AccountSid}:{authToken}";
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();

    public sealed record Created(string Resource, IReadOnlyDictionary<string, string> Form, string? Sid);
}
