using System.Net.Http.Json;
using System.Text.Json;

namespace SupportPlatform.Identity.Tests;

public sealed class SqliteClientScopeTests(SqliteIdentity fixture) : ClientScopeTests(fixture), IClassFixture<SqliteIdentity>;

public sealed class PostgreSqlClientScopeTests(PostgreSqlIdentity fixture) : ClientScopeTests(fixture), IClassFixture<PostgreSqlIdentity>;

/// <summary>A client user works only with their own account's tickets, sees no internal notes, and cannot run the queue.</summary>
public abstract class ClientScopeTests(IdentityFixture fixture)
{
    private async Task<(HttpClient Client, string Id)> ClientOf(string account)
    {
        var id = $"{account}-user-{Guid.NewGuid().ToString("N")[..6]}";
        return (fixture.Factory.CreateClient(await fixture.Factory.Users.ClientUserTokenAsync(account, id, "Client " + id)), id);
    }

    private async Task<long> StaffTicket(string account, string subject)
    {
        var ticket = await (await fixture.Admin.PostAsJsonAsync("/api/tickets", new { accountId = account, requesterId = "someone", subject })).Ok(201);
        return ticket.GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task Create_ClientUser_OwnAccountByDefaultAsRequesterOtherAccount404()
    {
        var (client, id) = await ClientOf("acme");

        var ticket = await (await client.PostAsJsonAsync("/api/tickets", new { subject = "Printer broken", requesterId = "somebody-else" })).Ok(201);
        var other = await (await client.PostAsJsonAsync("/api/tickets", new { accountId = "globex", subject = "Sneaky" })).Problem(404);
        var history = await (await fixture.Admin.GetAsync($"/api/tickets/{ticket.GetProperty("id").GetInt64()}/history")).Ok(200);

        Assert.Equal(("acme", id, "portal"), (ticket.Str("accountId"), ticket.Str("requesterId"), ticket.Str("channel")));
        var created = history[0].GetProperty("event").GetProperty("actor");
        Assert.Equal(("client", id), (created.Str("kind"), created.Str("id")));
        Assert.Equal("not-found", other.Str("code"));
    }

    [Fact]
    public async Task ListAndGet_ClientUser_OnlyOwnAccount()
    {
        var (client, _) = await ClientOf("acme");
        var mine = await StaffTicket("acme", "Acme scope ticket");
        var theirs = await StaffTicket("globex", "Globex scope ticket");

        var list = await (await client.GetAsync("/api/tickets?accountId=globex&pageSize=200")).Ok(200);
        await (await client.GetAsync($"/api/tickets/{mine}")).Ok(200);
        var hidden = await (await client.GetAsync($"/api/tickets/{theirs}")).Problem(404);
        await (await client.GetAsync($"/api/tickets/{theirs}/history")).Problem(404);
        await (await client.PostAsJsonAsync($"/api/tickets/{theirs}/comments", new { body = "hello?" })).Problem(404);
        await (await client.GetAsync("/api/accounts/globex")).Problem(404);
        await (await client.GetAsync("/api/accounts/acme")).Ok(200);

        var items = list.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(items, t => t.GetProperty("id").GetInt64() == mine);
        Assert.All(items, t => Assert.Equal("acme", t.Str("accountId")));
        Assert.Equal($"Ticket {theirs} does not exist.", hidden.Str("detail"));
    }

    [Fact]
    public async Task History_ClientUser_InternalNotesLeftOut()
    {
        var (client, _) = await ClientOf("acme");
        var ticket = await StaffTicket("acme", "Notes ticket");
        await (await fixture.Admin.PostAsJsonAsync($"/api/tickets/{ticket}/comments", new { body = "INTERNAL: client is difficult", visibility = "internal" })).Ok(200);
        await (await fixture.Admin.PostAsJsonAsync($"/api/tickets/{ticket}/comments", new { body = "We are on it." })).Ok(200);
        await (await client.PostAsJsonAsync($"/api/tickets/{ticket}/comments", new { body = "Thanks!" })).Ok(200);

        var staffView = await (await fixture.Admin.GetAsync($"/api/tickets/{ticket}/history")).Ok(200);
        var clientView = await (await client.GetAsync($"/api/tickets/{ticket}/history")).Ok(200);
        var internalNote = await (await client.PostAsJsonAsync($"/api/tickets/{ticket}/comments", new { body = "psst", visibility = "internal" })).Problem(422);

        Assert.Contains("INTERNAL: client is difficult", staffView.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("INTERNAL", clientView.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("We are on it.", clientView.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("Thanks!", clientView.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("invalid-visibility", internalNote.Str("code"));
    }

    [Theory]
    [InlineData("assignment", """{"group":"L1","agentId":"me"}""")]
    [InlineData("escalations", """{"toGroup":"L2","reason":"now"}""")]
    [InlineData("priority", """{"priority":"critical"}""")]
    [InlineData("merge", """{"target":1001}""")]
    [InlineData("split", """{"subject":"x"}""")]
    [InlineData("status", """{"status":"closed"}""")]
    public async Task StaffActions_ClientUserOnOwnTicket_403(string action, string body)
    {
        var (client, _) = await ClientOf("acme");
        var ticket = await StaffTicket("acme", "Own ticket " + action);

        var problem = await (await client.PostAsync($"/api/tickets/{ticket}/{action}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"))).Problem(403);

        Assert.Equal("forbidden", problem.Str("code"));
        await (await client.PutAsJsonAsync("/api/routing/rules", JsonSerializer.Deserialize<JsonElement>("[]"))).Problem(403);
    }
}
