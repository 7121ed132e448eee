using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Tickets.Tests.Routing;

/// <summary>The round-robin rotation is stored, so a restarted host continues it instead of starting over.</summary>
public sealed class RoundRobinRestartTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public async Task RoundRobin_HostRestarts_RotationContinues(DatabaseProvider provider)
    {
        using var data = new TempDirectory();
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("rr") : null;
        var agents = new List<string?>();
        string token;

        await using (var first = new PlatformFactory(data.Path, postgres))
        {
            token = await first.Users.StaffTokenAsync("senior", "alice");
            var staff = first.CreateClient(token);
            await staff.EnsureAccount("acme");
            await staff.PutAgent("rr-a", ["RR"]);
            await staff.PutAgent("rr-b", ["RR"]);
            await staff.PutAgent("rr-c", ["RR"]);
            await staff.PutRules(new { name = "rotation", group = "RR", strategy = "round-robin" });
            agents.Add((await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "one" })).AgentId);
            agents.Add((await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "two" })).AgentId);
        }

        await using (var second = new PlatformFactory(data.Path, postgres))
        {
            var staff = second.CreateClient(token);
            agents.Add((await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "three" })).AgentId);
            agents.Add((await staff.Open(new { accountId = "acme", requesterId = "bob", subject = "four" })).AgentId);
        }

        Assert.Equal(["rr-a", "rr-b", "rr-c", "rr-a"], agents);
    }
}
