using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Accounts.Tests;

public sealed class AccountsHost : IAsyncLifetime
{
    public PlatformFactory Factory { get; } = new();

    /// <summary>A senior engineer: defining accounts needs senior or admin.</summary>
    public HttpClient Senior { get; private set; } = null!;

    public async Task InitializeAsync() => Senior = await Factory.CreateStaffClientAsync("senior");

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Client accounts and their contract terms over the API, on the embedded database.</summary>
public sealed class AccountsApiTests(AccountsHost host) : IClassFixture<AccountsHost>
{
    private readonly HttpClient client = host.Senior;

    [Fact]
    public async Task Define_NameAndZoneOnly_ReferenceContract()
    {
        var response = await client.PutAsJsonAsync("/api/accounts/contoso", new { name = "Contoso", timeZone = "America/New_York" });
        var account = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Reference", (string?)account["contract"]!["slaPolicy"]!["name"]);
        Assert.Equal("America/New_York", (string?)account["contract"]!["calendar"]!["timeZoneId"]);
        Assert.Equal("7.00:00:00", (string?)account["contract"]!["reopenWindow"]);
        var listed = await client.GetFromJsonAsync<JsonArray>("/api/accounts");
        Assert.Contains(listed!, a => (string?)a!["id"] == "contoso");
    }

    [Fact]
    public async Task Define_ChangedContract_KeptAndVersioned()
    {
        await client.PutAsJsonAsync("/api/accounts/fabrikam", new { name = "Fabrikam", timeZone = "Europe/Berlin" });
        var account = JsonNode.Parse(await client.GetStringAsync("/api/accounts/fabrikam"))!;
        account["contract"]!["closeAfter"] = "1.00:00:00";

        var updated = JsonNode.Parse(await (await client.PutAsJsonAsync("/api/accounts/fabrikam",
            new { name = "Fabrikam GmbH", timeZone = "Europe/Berlin", contract = account["contract"] })).Content.ReadAsStringAsync())!;

        Assert.Equal(("Fabrikam GmbH", "1.00:00:00", 2L), ((string?)updated["name"], (string?)updated["contract"]!["closeAfter"], (long)updated["version"]!));
    }

    [Theory]
    [InlineData("""{"name":"X","timeZone":"Mars/Olympus"}""", "not an IANA time zone id")]
    [InlineData("""{"name":"","timeZone":"Europe/London"}""", "needs a name")]
    public async Task Define_BadValues_ProblemListsThem(string json, string expected)
    {
        var response = await client.PutAsync("/api/accounts/bad", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(problem.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Define_InvalidId_ValidationProblem()
    {
        var response = await client.PutAsJsonAsync("/api/accounts/Not_Valid", new { name = "X", timeZone = "Europe/London" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Get_Unknown_NotFound()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/accounts/nobody")).StatusCode);
    }
}
