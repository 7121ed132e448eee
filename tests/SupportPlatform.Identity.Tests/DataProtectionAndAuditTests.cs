using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

/// <summary>Data Protection keys live in the database: a cookie issued by one node works on another and after a restart.</summary>
public sealed class DataProtectionTests
{
    [Fact]
    public async Task Cookie_IssuedByOneNode_AcceptedByAnotherOnTheSameDatabase()
    {
        var postgres = await PostgresServer.Shared.CreateDatabaseAsync("dpkeys");
        using var dataA = new TempDirectory();
        using var dataB = new TempDirectory();
        await using var nodeA = new PlatformFactory(dataA.Path, postgres);
        await using var nodeB = new PlatformFactory(dataB.Path, postgres);
        using var browserA = nodeA.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var browserB = nodeB.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        await browserB.GetAsync("/health/ready");

        var signIn = await browserA.PostAsJsonAsync("/api/auth/signin", new { email = PlatformUsers.AdminEmail, password = PlatformUsers.AdminPassword });
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sp.auth=", StringComparison.Ordinal)).Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Add("Cookie", cookie);
        var me = await browserB.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Contains(PlatformUsers.AdminEmail, await me.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cookie_AfterRestartOnEmbeddedDatabase_StillAccepted()
    {
        using var data = new TempDirectory();
        string cookie;
        await using (var first = new PlatformFactory(data.Path))
        {
            var signIn = await first.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false })
                .PostAsJsonAsync("/api/auth/signin", new { email = PlatformUsers.AdminEmail, password = PlatformUsers.AdminPassword });
            cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sp.auth=", StringComparison.Ordinal)).Split(';')[0];
        }

        await using var second = new PlatformFactory(data.Path);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Add("Cookie", cookie);
        var me = await second.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false }).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }
}

public sealed class SqliteAuditTests(SqliteIdentity fixture) : AuditTests(fixture), IClassFixture<SqliteIdentity>;

/// <summary>The generic request audit and the audit API's filters and paging.</summary>
public abstract class AuditTests(IdentityFixture fixture)
{
    [Fact]
    public async Task StaffChange_RecordedWithActorMethodRouteTargetStatus()
    {
        var agent = fixture.Factory.CreateClient(await fixture.Factory.Users.StaffTokenAsync("senior", "auditor-subject"));
        await (await agent.PutAsJsonAsync("/api/accounts/audited-account", new { name = "Audited", timeZone = "Europe/London" })).Ok(200);
        await agent.GetAsync("/api/accounts/audited-account");

        // No flush: the entry is stored before the answer, so a crash right after the 200 cannot lose it.
        var stored = await fixture.Scalar<long>("SELECT count(*) FROM sp_audit_log WHERE actor_id = 'auditor-subject' AND action = 'request'");
        var page = await (await fixture.Admin.GetAsync("/api/admin/audit?actorId=auditor-subject&action=request")).Ok(200);
        var entry = Assert.Single(page.GetProperty("items").EnumerateArray());

        Assert.Equal(1L, stored);
        Assert.Equal(("PUT", "/api/accounts/{id}", 200), (entry.Str("method"), entry.Str("route"), entry.GetProperty("status").GetInt32()));
        Assert.Equal("{\"id\":\"audited-account\"}", entry.Str("target"));
        Assert.Equal("staff", entry.Str("actorKind"));
    }

    [Fact]
    public async Task AuditApi_PagingAndFilters_NewestFirstAndAdminOnly()
    {
        var senior = fixture.Factory.CreateClient(await fixture.Factory.Users.StaffTokenAsync("senior"));
        for (var i = 0; i < 3; i++)
        {
            await fixture.Factory.Users.Anonymous().PostAsJsonAsync("/api/auth/signin", new { email = $"paging{i}@tests.example", password = "wrong password" });
        }

        var first = await (await fixture.Admin.GetAsync("/api/admin/audit?action=signin.failed&pageSize=2&page=1")).Ok(200);
        var second = await (await fixture.Admin.GetAsync("/api/admin/audit?action=signin.failed&pageSize=2&page=2")).Ok(200);
        var future = await (await fixture.Admin.GetAsync($"/api/admin/audit?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(400).ToString("O"))}")).Ok(200);
        var bad = await (await fixture.Admin.GetAsync("/api/admin/audit?pageSize=0")).Problem(400);
        await (await senior.GetAsync("/api/admin/audit")).Problem(403);

        Assert.True(first.GetProperty("total").GetInt64() >= 3);
        var times = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(e => e.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        Assert.Equal(0, future.GetProperty("total").GetInt64());
        Assert.True(bad.GetProperty("errors").TryGetProperty("pageSize", out _));
    }
}
