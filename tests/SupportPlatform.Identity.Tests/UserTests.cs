using System.Net.Http.Json;
using SupportPlatform.Core.Security;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

public sealed class SqliteUserTests(SqliteIdentity fixture) : UserTests(fixture), IClassFixture<SqliteIdentity>;

public sealed class PostgreSqlUserTests(PostgreSqlIdentity fixture) : UserTests(fixture), IClassFixture<PostgreSqlIdentity>;

/// <summary>Staff users (admin only) and client users (staff, or the account's manager for their own account), with audit entries.</summary>
public abstract class UserTests(IdentityFixture fixture)
{
    [Fact]
    public async Task Staff_CreateListChangeRoleDeactivate_AppliedAndAudited()
    {
        var created = await (await fixture.Admin.PostAsJsonAsync("/api/staff", new { id = "carol", email = "Carol@MSP.example", name = "Carol", role = "agent", password = "carols-password-1" })).Ok(201);
        using var carol = await fixture.Factory.Users.SignInAsync("carol@msp.example", "carols-password-1");
        await (await carol.PutAsJsonAsync("/api/accounts/carol-made", new { name = "No", timeZone = "Europe/London" })).Problem(403);

        var promoted = await (await fixture.Admin.PatchAsJsonAsync("/api/staff/carol", new { role = "senior" })).Ok(200);
        // A role change renews the security stamp: the old cookie no longer works.
        await (await carol.GetAsync("/api/me")).Problem(401);
        using var again = await fixture.Factory.Users.SignInAsync("carol@msp.example", "carols-password-1");
        await (await again.PutAsJsonAsync("/api/accounts/carol-made", new { name = "Yes", timeZone = "Europe/London" })).Ok(200);
        await (await fixture.Admin.PatchAsJsonAsync("/api/staff/carol", new { active = false })).Ok(200);
        var refused = await (await fixture.Factory.Users.Anonymous().PostAsJsonAsync("/api/auth/signin", new { email = "carol@msp.example", password = "carols-password-1" })).Problem(401);
        var list = await (await fixture.Admin.GetAsync("/api/staff")).Ok(200);
        var audit = await (await fixture.Admin.GetAsync("/api/admin/audit?target=carol&pageSize=50")).Ok(200);

        Assert.Equal(("carol@msp.example", "agent", true), (created.Str("email"), created.Str("role"), created.GetProperty("hasPassword").GetBoolean()));
        Assert.Equal("senior", promoted.Str("role"));
        Assert.NotNull(refused.Str("detail"));
        Assert.False(Assert.Single(list.EnumerateArray(), u => u.Str("id") == "carol").GetProperty("active").GetBoolean());
        var actions = audit.GetProperty("items").EnumerateArray().Select(e => (e.Str("action"), e.GetProperty("detail").GetString())).ToList();
        Assert.Contains(("staff.created", "carol@msp.example as agent"), actions);
        Assert.Contains(("staff.updated", "role agent -> senior"), actions);
        Assert.Contains(("staff.updated", "deactivated"), actions);
        Assert.All(audit.GetProperty("items").EnumerateArray().Where(e => e.Str("action").StartsWith("staff.", StringComparison.Ordinal)),
            e => Assert.Equal("admin", e.Str("actorId")));
    }

    [Fact]
    public async Task Staff_BadInput_ValidationNamesFields()
    {
        var problem = await (await fixture.Admin.PostAsJsonAsync("/api/staff", new { id = "Bad Id", email = "not-an-email", name = "", role = "agent", password = "short" })).Problem(400);
        var role = await (await fixture.Admin.PostAsJsonAsync("/api/staff", new { email = "x@msp.example", name = "X", role = "boss" })).Problem(400);
        var duplicate = await (await fixture.Admin.PostAsJsonAsync("/api/staff", new { email = PlatformUsers.AdminEmail, name = "Dup", role = "agent" })).Problem(409);

        var errors = problem.GetProperty("errors");
        Assert.All(["id", "email", "name", "password"], field => Assert.True(errors.TryGetProperty(field, out _), field));
        Assert.Contains("not a staff role", role.GetProperty("errors").GetProperty("role")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("user-exists", duplicate.Str("code"));
    }

    [Fact]
    public async Task Staff_LastActiveAdmin_CannotBeDemotedOrDeactivated()
    {
        var problem = await (await fixture.Admin.PatchAsJsonAsync("/api/staff/admin", new { role = "agent" })).Problem(409);

        Assert.Equal("last-admin", problem.Str("code"));
    }

    [Fact]
    public async Task ClientUsers_ManagerInvitesOwnAccountOnly()
    {
        var suffix = fixture.Provider.ToString().ToLowerInvariant();
        var manager = fixture.Factory.CreateClient(await fixture.Factory.Users.ClientUserTokenAsync("acme", "acme-boss-" + suffix, manager: true));
        var plain = fixture.Factory.CreateClient(await fixture.Factory.Users.ClientUserTokenAsync("acme", "acme-plain-" + suffix));

        var invited = await (await manager.PostAsJsonAsync("/api/accounts/acme/users", new { email = $"colleague-{suffix}@acme.example", name = "Colleague", password = "colleague-password-1" })).Ok(201);
        var list = await (await manager.GetAsync("/api/accounts/acme/users")).Ok(200);
        var makeManager = await (await manager.PostAsJsonAsync("/api/accounts/acme/users", new { email = $"boss2-{suffix}@acme.example", name = "Boss 2", manager = true })).Problem(403);
        var otherAccount = await (await manager.GetAsync("/api/accounts/globex/users")).Problem(404);
        var notManager = await (await plain.PostAsJsonAsync("/api/accounts/acme/users", new { email = $"x-{suffix}@acme.example", name = "X" })).Problem(403);
        var deactivated = await (await manager.PatchAsJsonAsync($"/api/accounts/acme/users/{invited.GetProperty("user").Str("id")}", new { active = false })).Ok(200);
        var me = await (await plain.GetAsync("/api/me")).Ok(200);

        Assert.Equal(("client", "acme"), (invited.GetProperty("user").Str("role"), invited.GetProperty("user").Str("accountId")));
        Assert.All(list.EnumerateArray(), u => Assert.Equal("acme", u.Str("accountId")));
        Assert.Contains("staff", makeManager.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("not-found", otherAccount.Str("code"));
        Assert.Equal("forbidden", notManager.Str("code"));
        Assert.False(deactivated.GetProperty("active").GetBoolean());
        Assert.Equal(["client"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        await (await fixture.Admin.GetAsync("/api/accounts/nowhere/users")).Ok(200);
        await (await fixture.Admin.PostAsJsonAsync("/api/accounts/nowhere/users", new { email = "ghost@nowhere.example", name = "Ghost" })).Problem(404);
    }

    [Fact]
    public async Task MePassword_Change_OldPasswordStopsWorking()
    {
        var id = "pw-changer-" + fixture.Provider.ToString().ToLowerInvariant();
        await fixture.Factory.Users.StaffTokenAsync(PlatformRoles.Agent, id);
        using var browser = await fixture.Factory.Users.SignInAsync($"{id}@staff.tests.example", PlatformUsers.Password(id));

        var wrong = await (await browser.PutAsJsonAsync("/api/me/password", new { currentPassword = "nope", newPassword = "the new password 1" })).Problem(403);
        await (await browser.PutAsJsonAsync("/api/me/password", new { currentPassword = PlatformUsers.Password(id), newPassword = "the new password 1" })).Ok(204);
        // The session that changed the password stays signed in.
        await (await browser.GetAsync("/api/me")).Ok(200);

        await (await fixture.Factory.Users.Anonymous().PostAsJsonAsync("/api/auth/signin", new { email = $"{id}@staff.tests.example", password = PlatformUsers.Password(id) })).Problem(401);
        await (await fixture.Factory.Users.Anonymous().PostAsJsonAsync("/api/auth/signin", new { email = $"{id}@staff.tests.example", password = "the new password 1" })).Ok(200);
        Assert.Equal("invalid-current-password", wrong.Str("code"));
    }
}
