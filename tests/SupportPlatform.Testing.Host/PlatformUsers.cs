using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace SupportPlatform.Testing.Host;

/// <summary>
/// Signed-in callers for tests: the first admin comes from configuration (<see cref="Settings"/>), and helpers create
/// staff and client users through the real API, sign them in with their password and give back personal API tokens.
/// </summary>
public sealed class PlatformUsers
{
    public const string AdminEmail = "admin@tests.example";
    public const string AdminPassword = "bootstrap-admin-password-1";

    private readonly Func<HttpClient> createClient;
    private readonly SemaphoreSlim gate = new(1, 1);
    private string? adminToken;
    private int created;

    /// <param name="createClient">Creates a client of the host that keeps cookies.</param>
    public PlatformUsers(Func<HttpClient> createClient) => this.createClient = createClient;

    /// <summary>
    /// Configuration every test host gets: the first admin, and sign-in rate limits high enough for fixtures that
    /// sign many users in from one address (the rate-limit tests set their own).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["SupportPlatform:Identity:BootstrapAdmin:Email"] = AdminEmail,
        ["SupportPlatform:Identity:BootstrapAdmin:Password"] = AdminPassword,
        ["SupportPlatform:Identity:RateLimits:SignInPerMinute"] = "100000",
        ["SupportPlatform:Identity:RateLimits:PublicPerMinute"] = "100000",
    };

    /// <summary>A client without credentials (cookies kept).</summary>
    public HttpClient Anonymous() => createClient();

    /// <summary>A client that sends <paramref name="token"/> as its bearer token.</summary>
    public HttpClient WithToken(string token)
    {
        var client = createClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>An API token of the bootstrap admin (created once).</summary>
    public async Task<string> AdminTokenAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (adminToken is null)
            {
                using var admin = await SignInAsync(AdminEmail, AdminPassword);
                adminToken = await CreateTokenAsync(admin, "tests: admin");
            }

            return adminToken;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Creates a staff user with <paramref name="role"/> (admin, senior or agent) and returns an API token of theirs.</summary>
    public async Task<string> StaffTokenAsync(string role = "admin", string? id = null, string? name = null)
    {
        id ??= NextId("staff");
        var password = Password(id);
        using var admin = WithToken(await AdminTokenAsync());
        await Expect(await admin.PostAsJsonAsync("/api/staff", new { id, email = $"{id}@staff.tests.example", name = name ?? id, role, password }), $"create staff user {id}");
        using var user = await SignInAsync($"{id}@staff.tests.example", password);
        return await CreateTokenAsync(user, "tests");
    }

    /// <summary>Creates a user of client account <paramref name="accountId"/> (which must exist) and returns an API token of theirs.</summary>
    public async Task<string> ClientUserTokenAsync(string accountId, string? id = null, string? name = null, bool manager = false)
    {
        id ??= NextId("client");
        var password = Password(id);
        using var admin = WithToken(await AdminTokenAsync());
        await Expect(await admin.PostAsJsonAsync($"/api/accounts/{accountId}/users",
            new { id, email = $"{id}@{accountId}.tests.example", name = name ?? id, manager, password, sendInvitation = false }), $"invite client user {id}");
        using var user = await SignInAsync($"{id}@{accountId}.tests.example", password);
        return await CreateTokenAsync(user, "tests");
    }

    public async Task<HttpClient> CreateStaffClientAsync(string role = "admin", string? id = null, string? name = null) =>
        WithToken(await StaffTokenAsync(role, id, name));

    public async Task<HttpClient> CreateClientUserClientAsync(string accountId, string? id = null, string? name = null, bool manager = false) =>
        WithToken(await ClientUserTokenAsync(accountId, id, name, manager));

    /// <summary>The password the helpers give user <paramref name="id"/>.</summary>
    public static string Password(string id) => $"password-of-{id}-123";

    /// <summary>
    /// Signs in with email and password; the client keeps the auth cookie and sends the antiforgery header, as a browser
    /// page does.
    /// </summary>
    public async Task<HttpClient> SignInAsync(string email, string password)
    {
        var client = createClient();
        await Expect(await client.PostAsJsonAsync("/api/auth/signin", new { email, password }), $"sign in as {email}");
        var antiforgery = await client.GetFromJsonAsync<JsonElement>("/api/auth/antiforgery");
        client.DefaultRequestHeaders.Add(antiforgery.GetProperty("headerName").GetString()!, antiforgery.GetProperty("token").GetString());
        return client;
    }

    private static async Task<string> CreateTokenAsync(HttpClient signedIn, string name)
    {
        var response = await signedIn.PostAsJsonAsync("/api/me/tokens", new { name });
        await Expect(response, "create an API token");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private string NextId(string prefix) =>
        $"{prefix}-{Interlocked.Increment(ref created).ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}";

    private static async Task Expect(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Could not {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
