using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Security;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

public sealed class SqliteTokenTests(SqliteIdentity fixture) : TokenTests(fixture), IClassFixture<SqliteIdentity>;

public sealed class PostgreSqlTokenTests(PostgreSqlIdentity fixture) : TokenTests(fixture), IClassFixture<PostgreSqlIdentity>;

/// <summary>Personal API tokens: shown once, stored as a keyed hash, scoped by role, listed, revoked, last use recorded.</summary>
public abstract class TokenTests(IdentityFixture fixture)
{
    [Fact]
    public async Task Create_TokenShownOnceStoredAsKeyedHashAndWorks()
    {
        using var admin = await fixture.Factory.Users.SignInAsync(PlatformUsers.AdminEmail, PlatformUsers.AdminPassword);

        var created = await (await admin.PostAsJsonAsync("/api/me/tokens", new { name = "monitoring" })).Ok(201);
        var token = created.Str("token");
        var listed = await (await admin.GetAsync("/api/me/tokens")).Ok(200);
        var hasher = fixture.Factory.Services.GetRequiredService<TokenHasher>();
        var storedHash = await fixture.Scalar<string>("SELECT token_hash FROM sp_api_tokens WHERE id = @id", new { id = created.Str("id") });
        var me = await (await fixture.Factory.CreateClient(token).GetAsync("/api/me")).Ok(200);

        Assert.StartsWith("spt_", token, StringComparison.Ordinal);
        Assert.True(token.Length > 40);
        Assert.Equal(await hasher.HashAsync(token, default), storedHash);
        Assert.NotEqual(token, storedHash);
        var entry = Assert.Single(listed.EnumerateArray(), t => t.Str("id") == created.Str("id"));
        Assert.False(entry.TryGetProperty("token", out _));
        Assert.Equal("…" + token[^4..], entry.Str("hint"));
        Assert.Equal("admin", me.Str("id"));
    }

    [Fact]
    public async Task Create_RoleAboveOwners_RefusedAndLowerRoleLimitsAccess()
    {
        var senior = fixture.Factory.CreateClient(await fixture.Factory.Users.StaffTokenAsync(PlatformRoles.Senior));

        var tooHigh = await (await senior.PostAsJsonAsync("/api/me/tokens", new { name = "escalate", role = "admin" })).Problem(400);
        var agentToken = (await (await senior.PostAsJsonAsync("/api/me/tokens", new { name = "read-only-ish", role = "agent" })).Ok(201)).Str("token");
        var agent = fixture.Factory.CreateClient(agentToken);
        var me = await (await agent.GetAsync("/api/me")).Ok(200);

        Assert.Contains("at most yours", tooHigh.GetProperty("errors").GetProperty("role")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(["agent"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        await (await agent.GetAsync("/api/tickets")).Ok(200);
        await (await agent.PutAsJsonAsync("/api/accounts/agent-made", new { name = "No", timeZone = "Europe/London" })).Problem(403);
        await (await senior.PutAsJsonAsync("/api/accounts/senior-made", new { name = "Yes", timeZone = "Europe/London" })).Ok(200);
        await (await senior.GetAsync("/api/staff")).Problem(403);
    }

    [Fact]
    public async Task Revoke_Token_NextRequest401AndGoneFromList()
    {
        var owner = fixture.Factory.CreateClient(await fixture.Factory.Users.StaffTokenAsync(PlatformRoles.Agent));
        var created = await (await owner.PostAsJsonAsync("/api/me/tokens", new { name = "to revoke" })).Ok(201);
        var revokable = fixture.Factory.CreateClient(created.Str("token"));
        await (await revokable.GetAsync("/api/me")).Ok(200);

        await (await owner.DeleteAsync($"/api/me/tokens/{created.Str("id")}")).Ok(204);

        await (await revokable.GetAsync("/api/me")).Problem(401);
        Assert.DoesNotContain((await (await owner.GetAsync("/api/me/tokens")).Ok(200)).EnumerateArray(), t => t.Str("id") == created.Str("id"));
        await (await owner.DeleteAsync($"/api/me/tokens/{created.Str("id")}")).Problem(404);
    }

    [Fact]
    public async Task Use_Token_LastUsedWrittenInBatchNotPerRequest()
    {
        var owner = fixture.Factory.CreateClient(await fixture.Factory.Users.StaffTokenAsync(PlatformRoles.Agent));
        var id = (await (await owner.GetAsync("/api/me/tokens")).Ok(200))[0].Str("id");
        await fixture.FlushAsync();
        var before = await fixture.Scalar<long?>("SELECT last_used_at_ms FROM sp_api_tokens WHERE id = @id", new { id });

        await owner.GetAsync("/api/tickets");
        var notYet = await fixture.Scalar<long?>("SELECT last_used_at_ms FROM sp_api_tokens WHERE id = @id", new { id });
        await fixture.FlushAsync();
        var listed = (await (await owner.GetAsync("/api/me/tokens")).Ok(200))[0];

        Assert.Equal(before, notYet);
        Assert.Equal(JsonValueKind.String, listed.GetProperty("lastUsedAt").ValueKind);
        Assert.True(listed.GetProperty("lastUsedAt").GetDateTimeOffset() >= DateTimeOffset.FromUnixTimeMilliseconds(before ?? 0));
    }

    [Fact]
    public async Task DeactivatedOwner_Token401()
    {
        var id = "deactivated-" + fixture.Provider.ToString().ToLowerInvariant();
        var token = await fixture.Factory.Users.StaffTokenAsync(PlatformRoles.Agent, id);
        var client = fixture.Factory.CreateClient(token);
        await (await client.GetAsync("/api/me")).Ok(200);

        await (await fixture.Admin.PatchAsJsonAsync($"/api/staff/{id}", new { active = false })).Ok(200);

        var problem = await (await client.GetAsync("/api/me")).Problem(401);
        Assert.Equal("The API token's user is deactivated.", problem.Str("detail"));
    }
}

/// <summary>Token expiry on a fake clock.</summary>
public sealed class TokenExpiryTests
{
    [Fact]
    public async Task ExpiredToken_401SayingWhen()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 5, 1, 12, 0, 0, TimeSpan.Zero));
        await using var host = new PlatformFactory(clock: clock);
        using var admin = await host.Users.SignInAsync(PlatformUsers.AdminEmail, PlatformUsers.AdminPassword);
        var past = await (await admin.PostAsJsonAsync("/api/me/tokens", new { name = "old", expiresAt = "2030-05-01T11:00:00Z" })).Problem(400);
        var token = (await (await admin.PostAsJsonAsync("/api/me/tokens", new { name = "short", expiresAt = "2030-05-01T13:00:00Z" })).Ok(201)).Str("token");
        var client = host.CreateClient(token);
        await (await client.GetAsync("/api/me")).Ok(200);

        clock.Advance(TimeSpan.FromHours(2));

        var problem = await (await client.GetAsync("/api/me")).Problem(401);
        Assert.Contains("expired at 2030-05-01 13:00:00Z", problem.Str("detail"), StringComparison.Ordinal);
        Assert.True(past.GetProperty("errors").TryGetProperty("expiresAt", out _));
    }
}
