using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Identity.Tests;

/// <summary>Account A's data (the walk tries to reach it) and a client user of account B (who walks).</summary>
public abstract class WalkFixture(DatabaseProvider provider) : IdentityFixture(provider)
{
    public const string AccountA = "walk-a";
    public const string AccountB = "walk-b";

    /// <summary>Text that exists only in account A's data: it must never reach the client user of B.</summary>
    public static readonly string[] Secrets = ["SECRET-A", "a-user@walk-a", "Walk A Secret"];

    public long TicketA { get; private set; }

    /// <summary>A published knowledge-base article visible to account A only.</summary>
    public long ArticleA { get; private set; }

    public string TokenIdA { get; private set; } = "";

    public string ClientTokenB { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Admin.EnsureAccount(AccountA, "Walk A Secret Ltd");
        await Admin.EnsureAccount(AccountB);
        var clientA = Factory.CreateClient(await Factory.Users.ClientUserTokenAsync(AccountA, "a-user", "A User", manager: true));
        var ticket = await (await clientA.PostAsJsonAsync("/api/tickets", new { subject = "SECRET-A-subject", description = "SECRET-A-description" })).Ok(201);
        TicketA = ticket.GetProperty("id").GetInt64();
        await (await Admin.PostAsJsonAsync($"/api/tickets/{TicketA}/comments", new { body = "SECRET-A-note", visibility = "internal" })).Ok(200);
        TokenIdA = (await (await clientA.GetAsync("/api/me/tokens")).Ok(200))[0].Str("id");
        ClientTokenB = await Factory.Users.ClientUserTokenAsync(AccountB, "b-user", "B User", manager: true);
        await Factory.Users.StaffTokenAsync("agent", "walk-staff");
        await (await Admin.PutAsJsonAsync("/api/agents/walk-agent", new { displayName = "Walk Agent", groups = new[] { "L1" } })).Ok(200);
        await (await Admin.PutAsJsonAsync("/api/vendors/walk-vendor", new { name = "Walk Vendor", contactEmail = "noc@vendor.example" })).Ok(200);
        var reviewer = Factory.CreateClient(await Factory.Users.StaffTokenAsync("senior", "walk-reviewer"));
        var article = await (await Admin.PostAsJsonAsync("/api/kb/articles", new { title = "SECRET-A-article", body = "SECRET-A-body", visibility = "account", accountId = AccountA })).Ok(201);
        ArticleA = article.GetProperty("id").GetInt64();
        // A monitored system of A with an open incident: the dashboards, systems and incidents must not show it to B.
        await (await Admin.PutAsJsonAsync("/api/monitoring/systems/walk-a-system", new { accountId = AccountA, name = "SECRET-A-system", hostNames = new[] { "secret-a.example" } })).Ok(200);
        await (await Admin.PostAsJsonAsync("/api/monitoring/alerts", new[]
        {
            new { source = "api", system = "secret-a.example", check = "disk", state = "critical", dedupKey = "walk", occurredAt = DateTimeOffset.UtcNow, summary = "SECRET-A-disk full" },
        })).Ok(200);
        await (await Admin.PostAsJsonAsync($"/api/kb/articles/{ArticleA}/state", new { to = "in-review" })).Ok(200);
        await (await reviewer.PostAsJsonAsync($"/api/kb/articles/{ArticleA}/state", new { to = "published" })).Ok(200);
    }
}

public sealed class SqliteWalk() : WalkFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlWalk() : WalkFixture(DatabaseProvider.PostgreSql);

public sealed class SqliteEndpointWalkTests(SqliteWalk fixture) : EndpointWalkTests(fixture), IClassFixture<SqliteWalk>;

public sealed class PostgreSqlEndpointWalkTests(PostgreSqlWalk fixture) : EndpointWalkTests(fixture), IClassFixture<PostgreSqlWalk>;

/// <summary>
/// Walks EVERY endpoint of the host (read from its EndpointDataSource, so endpoints added later are walked too), with
/// route values filled with real ids of account A: as a client user of account B nothing answers 2xx with A's data, and
/// every API endpoint outside the client's own few answers 401, 403 or 404; unauthenticated, everything but the
/// anonymous allow-list answers 401 (pages: a redirect to /signin).
/// </summary>
public abstract class EndpointWalkTests(WalkFixture fixture)
{
    /// <summary>
    /// Endpoints anyone may call: health, sign-in, sign-in methods, sign-in link, antiforgery, first-admin setup, single sign-on, and
    /// plugin webhooks (any method; each plugin authenticates its callers by signature, token or secret header), and
    /// the signed estimate approval link and escalation acknowledgement links (each signed token is the credential).
    /// </summary>
    private static readonly HashSet<string> Anonymous =
    [
        "GET /health/live", "GET /health/ready", "POST /api/auth/signin", "POST /api/auth/link", "GET /api/auth/antiforgery", "GET /api/auth/methods",
        "GET /auth/link/{token}", "POST /auth/link/{token}", "POST /api/setup", "GET /auth/oidc", "GET /hooks/{pluginId}/{**path}",
        "GET /billing/approval/{token}", "POST /billing/approval/{token}",
        "GET /ack/{token}", "POST /ack/{token}",
    ];

    /// <summary>Endpoints a client user may use successfully: about themselves, or their own account's tickets, monitored systems and incidents (scoped by the handler).</summary>
    private static readonly HashSet<string> ClientOwn =
    [
        "GET /api/me", "PUT /api/me/password", "GET /api/me/tokens", "POST /api/me/tokens", "POST /api/auth/signout", "GET /api/tickets",
        "GET /api/monitoring/systems", "GET /api/monitoring/incidents", "GET /api/monitoring/dashboard", "GET /api/billing/estimates", "GET /api/billing/invoices",
        "GET /api/kb/articles", "GET /api/kb/search", "GET /api/kb/suggestions",
        // The monitoring dashboards' hub: any signed-in user connects; a client user joins only their own account's group.
        "GET /hubs/monitoring/negotiate", "GET /hubs/monitoring",
        .. Anonymous,
    ];

    [Fact]
    public async Task EveryEndpoint_ClientUserOfOtherAccount_NeverSeesAccountAData()
    {
        using var client = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", fixture.ClientTokenB);
        var failures = new List<string>();
        var walked = 0;

        foreach (var (key, method, url, isApi) in Endpoints())
        {
            walked++;
            using var response = await client.SendAsync(Request(method, url));
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (fixture.Secrets().FirstOrDefault(s => body.Contains(s, StringComparison.Ordinal)) is { } leaked)
            {
                failures.Add($"{key} ({url}) answered {status} containing '{leaked}'");
            }
            else if (isApi && !ClientOwn.Contains(key) && status is not (401 or 403 or 404))
            {
                failures.Add($"{key} ({url}) answered {status}, expected 401, 403 or 404: {Short(body)}");
            }
        }

        Assert.True(walked > 40, $"only {walked} endpoints found");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task EveryEndpoint_Unauthenticated_401ExceptAllowList()
    {
        using var client = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var failures = new List<string>();

        foreach (var (key, method, url, isApi) in Endpoints().Where(e => !Anonymous.Contains(e.Key)))
        {
            using var request = Request(method, url);
            request.Headers.Accept.ParseAdd(isApi ? "application/json" : "text/html");
            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var toSignIn = status == 302 && response.Headers.Location?.ToString().StartsWith("/signin", StringComparison.Ordinal) == true;
            if (!(status == 401 || (!isApi && toSignIn)))
            {
                failures.Add($"{key} ({url}) answered {status} without credentials: {Short(await response.Content.ReadAsStringAsync())}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void AnonymousEndpoints_AllOnTheAllowList()
    {
        var anonymous = Endpoints(includeAll: true)
            .Where(e => e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.Key)
            .Where(k => !Anonymous.Contains(k))
            .ToList();

        Assert.True(anonymous.Count == 0, "anonymous endpoints not on the allow-list: " + string.Join(", ", anonymous));
    }

    private IEnumerable<(string Key, string Method, string Url, bool IsApi)> Endpoints() =>
        Endpoints(includeAll: true).Select(e => (e.Key, e.Method, e.Url, e.IsApi));

    private IEnumerable<(string Key, string Method, string Url, bool IsApi, Endpoint Endpoint)> Endpoints(bool includeAll)
    {
        var source = fixture.Factory.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>().Where(e => includeAll || e.Metadata.GetMetadata<IAllowAnonymous>() is null))
        {
            var pattern = endpoint.RoutePattern;
            var raw = "/" + (pattern.RawText ?? "").Trim('/');
            var isApi = raw.StartsWith("/api", StringComparison.Ordinal) || raw.StartsWith("/hubs", StringComparison.Ordinal);
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                yield return ($"{method} {raw}", method, Url(pattern, raw), isApi, endpoint);
            }
        }
    }

    private string Url(RoutePattern pattern, string raw)
    {
        var url = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            url.Append('/');
            foreach (var part in segment.Parts)
            {
                url.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart parameter => Uri.EscapeDataString(Value(raw, parameter)),
                    _ => "",
                });
            }
        }

        return url.Length == 0 ? "/" : url.ToString();
    }

    /// <summary>A real id of account A for each route value; unknown ones get A's account id (the usual scoping key).</summary>
    private string Value(string route, RoutePatternParameterPart parameter) => parameter.Name switch
    {
        "accountId" => WalkFixture.AccountA,
        "documentName" => "v1",
        "token" => "spl_not-a-valid-link-token-0000000000000",
        "key" => "walk-probe",
        "id" when route.StartsWith("/api/kb/", StringComparison.Ordinal) => fixture.ArticleA.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "id" when route.StartsWith("/api/tickets", StringComparison.Ordinal) => fixture.TicketA.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "id" when route.StartsWith("/api/accounts/{accountId}/users", StringComparison.Ordinal) => "a-user",
        "id" when route.StartsWith("/api/agents", StringComparison.Ordinal) => "walk-agent",
        "id" when route.StartsWith("/api/vendors", StringComparison.Ordinal) => "walk-vendor",
        "id" when route.StartsWith("/api/staff", StringComparison.Ordinal) => "walk-staff",
        "id" when route.StartsWith("/api/me/tokens", StringComparison.Ordinal) => fixture.TokenIdA,
        "id" when route.StartsWith("/api/admin/plugins", StringComparison.Ordinal) => "sample",
        "kind" when route.StartsWith("/api/reports/", StringComparison.Ordinal) => "monthly",
        "period" when route.StartsWith("/api/reports/", StringComparison.Ordinal) => "2026-10",
        _ when parameter.ParameterPolicies.Any(p => p.Content is "long" or "int") => fixture.TicketA.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => WalkFixture.AccountA,
    };

    /// <summary>A request whose body names account A's ids wherever a body field could point at them.</summary>
    private HttpRequestMessage Request(string method, string url)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = JsonContent.Create(new Dictionary<string, object?>
            {
                ["accountId"] = WalkFixture.AccountA,
                ["requesterId"] = "a-user",
                ["subject"] = "walk",
                ["description"] = "walk",
                ["body"] = "walk",
                ["visibility"] = "public",
                ["name"] = "walk",
                ["timeZone"] = "Europe/London",
                ["email"] = "walker@walk-b.tests.example",
                ["password"] = "walk-password-123",
                ["role"] = "client",
                ["status"] = "resolved",
                ["note"] = "walk",
                ["priority"] = "critical",
                ["target"] = fixture.TicketA,
                ["toGroup"] = "L2",
                ["reason"] = "walk",
                ["active"] = false,
            });
        }

        return request;
    }

    private static string Short(string body) => body.Length > 300 ? body[..300] + "…" : body;
}

internal static class WalkExtensions
{
    public static IEnumerable<string> Secrets(this WalkFixture _) => WalkFixture.Secrets;
}
