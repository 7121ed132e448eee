using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Core.Security;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

/// <summary>Lockout after repeated failures (persisted per user, on a fake clock) and per-address rate limits.</summary>
public sealed class LockoutAndRateLimitTests
{
    [Fact]
    public async Task SignIn_FiveFailures_LockedWith423UntilDurationPassesEvenAfterRestart()
    {
        using var data = new TempDirectory();
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 3, 4, 9, 0, 0, TimeSpan.Zero));
        const string email = "locked-agent@staff.tests.example";
        var password = PlatformUsers.Password("locked-agent");
        await using (var first = new PlatformFactory(data.Path, clock: clock))
        {
            await first.Users.StaffTokenAsync(PlatformRoles.Agent, "locked-agent");
            using var browser = first.Users.Anonymous();
            for (var i = 0; i < 4; i++)
            {
                await (await browser.PostAsJsonAsync("/api/auth/signin", new { email, password = "wrong password " + i })).Problem(401);
            }

            var locked = await (await browser.PostAsJsonAsync("/api/auth/signin", new { email, password = "wrong password 5" })).Problem(423);

            Assert.Equal("locked-out", locked.Str("code"));
            Assert.Contains("locked until 2030-03-04 09:15:00 UTC", locked.Str("detail"), StringComparison.Ordinal);
            Assert.Equal(900, locked.GetProperty("retryAfterSeconds").GetInt32());
        }

        // The lock is stored with the user: a restarted node still refuses, even the right password.
        await using var second = new PlatformFactory(data.Path, clock: clock);
        using var again = second.Users.Anonymous();
        clock.Advance(TimeSpan.FromMinutes(10));
        var stillLocked = await (await again.PostAsJsonAsync("/api/auth/signin", new { email, password })).Problem(423);
        Assert.Contains("about 5 minutes", stillLocked.Str("detail"), StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromMinutes(6));
        await (await again.PostAsJsonAsync("/api/auth/signin", new { email, password })).Ok(200);
    }

    [Fact]
    public async Task SignIn_AdminResetsPassword_LockCleared()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 3, 4, 9, 0, 0, TimeSpan.Zero));
        await using var host = new PlatformFactory(clock: clock, extra: new Dictionary<string, string?> { ["SupportPlatform:Identity:Lockout:MaxFailures"] = "2" });
        await host.Users.StaffTokenAsync(PlatformRoles.Agent, "reset-me");
        using var browser = host.Users.Anonymous();
        await (await browser.PostAsJsonAsync("/api/auth/signin", new { email = "reset-me@staff.tests.example", password = "wrong password 1" })).Problem(401);
        await (await browser.PostAsJsonAsync("/api/auth/signin", new { email = "reset-me@staff.tests.example", password = "wrong password 2" })).Problem(423);
        using var admin = host.CreateClient(await host.Users.AdminTokenAsync());
        var listed = await (await admin.GetAsync("/api/staff/reset-me")).Ok(200);
        Assert.Equal(System.Text.Json.JsonValueKind.String, listed.GetProperty("lockedUntil").ValueKind);

        await (await admin.PostAsJsonAsync("/api/staff/reset-me/password", new { password = "a brand new password" })).Ok(204);

        await (await browser.PostAsJsonAsync("/api/auth/signin", new { email = "reset-me@staff.tests.example", password = "a brand new password" })).Ok(200);
    }

    [Fact]
    public async Task SignIn_MoreThanLimitFromOneAddress_429WithRetryAfter()
    {
        await using var host = new PlatformFactory(extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Identity:RateLimits:SignInPerMinute"] = "3",
            ["SupportPlatform:Identity:RateLimits:LinkPerMinute"] = "2",
        });
        using var browser = host.Users.Anonymous();

        for (var i = 0; i < 3; i++)
        {
            await (await browser.PostAsJsonAsync("/api/auth/signin", new { email = $"user{i}@tests.example", password = "guessing password" })).Problem(401);
        }

        var limited = await browser.PostAsJsonAsync("/api/auth/signin", new { email = PlatformUsers.AdminEmail, password = PlatformUsers.AdminPassword });
        var problem = await limited.Problem(429);
        // Link requests have their own budget.
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await browser.PostAsJsonAsync("/api/auth/link", new { email = "a@tests.example" })).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await browser.PostAsJsonAsync("/api/auth/link", new { email = "a@tests.example" })).StatusCode);
        await (await browser.PostAsJsonAsync("/api/auth/link", new { email = "a@tests.example" })).Problem(429);

        Assert.Equal("rate-limited", problem.Str("code"));
        Assert.True(int.Parse(Assert.Single(limited.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
    }
}
