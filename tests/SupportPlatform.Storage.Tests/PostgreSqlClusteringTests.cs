using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Storage.Tests.Infrastructure;
using Xunit;

namespace SupportPlatform.Storage.Tests;

/// <summary>ADO.NET clustering on PostgreSQL: two real silos in this process, over TCP on 127.0.0.1.</summary>
public sealed class PostgreSqlClusteringTests
{
    [Fact]
    public async Task TwoSilos_SameCluster_BecomeActiveThenDeadAfterGracefulStopAndOnlyDeadAreCleanedUp()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql);
        var serviceId = $"sp-test-{Guid.NewGuid():N}";
        var firstCluster = TestSilo.NewCluster(serviceId);
        var secondCluster = TestSilo.NewCluster(serviceId);

        var first = await TestSilo.StartAsync(db.Settings, firstCluster);
        IHost? second = null;
        try
        {
            second = await TestSilo.StartAsync(db.Settings, secondCluster);
            var management = first.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);

            var active = await WaitForAsync(async () =>
            {
                var hosts = await management.GetHosts(onlyActive: true);
                return hosts.Count == 2 ? hosts : null;
            });
            Assert.Contains(active.Keys, s => s.Endpoint.Port == firstCluster.SiloPort);
            Assert.Contains(active.Keys, s => s.Endpoint.Port == secondCluster.SiloPort);
            Assert.All(active.Values, status => Assert.Equal(SiloStatus.Active, status));

            await TestSilo.StopAsync(second);
            second = null;

            await using var connection = await db.Database.OpenConnectionAsync();
            var status = await connection.ExecuteScalarAsync<int>(
                "SELECT Status FROM OrleansMembershipTable WHERE DeploymentId = @id AND Port = @port",
                new { id = TestSilo.ClusterId, port = secondCluster.SiloPort });
            Assert.Equal((int)SiloStatus.Dead, status);
            var firstStatus = await connection.ExecuteScalarAsync<int>(
                "SELECT Status FROM OrleansMembershipTable WHERE DeploymentId = @id AND Port = @port",
                new { id = TestSilo.ClusterId, port = firstCluster.SiloPort });
            Assert.Equal((int)SiloStatus.Active, firstStatus);

            // Defunct clean-up removes only Dead rows, even with a cut-off later than every row's IAmAliveTime.
            var membershipTable = first.Services.GetRequiredService<IMembershipTable>();
            await membershipTable.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(5), CancellationToken.None);
            var remaining = (await connection.QueryAsync<(int Port, int Status)>(
                "SELECT Port, Status FROM OrleansMembershipTable WHERE DeploymentId = @id", new { id = TestSilo.ClusterId })).ToList();
            Assert.Equal([(firstCluster.SiloPort, (int)SiloStatus.Active)], remaining);
        }
        finally
        {
            if (second is not null)
            {
                await TestSilo.StopAsync(second);
            }

            await TestSilo.StopAsync(first);
        }
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await probe();
            if (value is not null)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition was not met within 30 s.");
            }

            await Task.Delay(200);
        }
    }
}

/// <summary>The clustering queries whose traps a running cluster rarely hits, executed directly from <c>OrleansQuery</c>.</summary>
public sealed class PostgreSqlMembershipQueryTests
{
    [Fact]
    public async Task CleanupDefunctSiloEntriesKey_RowsOfEveryStatusOlderThanCutoff_DeletesOnlyDeadRows()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql);
        await using var connection = await db.Database.OpenConnectionAsync();
        var old = DateTime.UtcNow.AddHours(-2);
        await connection.ExecuteAsync("INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES ('c')");
        foreach (var status in new[] { 1, 2, 3, 4, 5, 6 })
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO OrleansMembershipTable (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
                VALUES ('c', '10.0.0.1', @port, 1, 's', 'h', @status, 0, @old, @old)
                """,
                new { port = 11000 + status, status, old });
        }

        var query = await connection.ExecuteScalarAsync<string>("SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'CleanupDefunctSiloEntriesKey'");
        await connection.ExecuteAsync(query!, new { DeploymentId = "c", IAmAliveTime = DateTime.UtcNow.AddHours(-1) });

        var statuses = (await connection.QueryAsync<int>("SELECT Status FROM OrleansMembershipTable ORDER BY Status")).ToList();
        Assert.Equal([1, 2, 3, 4, 5], statuses);
    }

    [Fact]
    public async Task InsertAndUpdateMembershipKeys_StaleVersion_AreRejectedAndHeartbeatKeepsVersion()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql);
        await using var connection = await db.Database.OpenConnectionAsync();
        async Task<string> Query(string key) =>
            (await connection.ExecuteScalarAsync<string>("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key", new { key }))!;
        async Task<int> Version() =>
            await connection.ExecuteScalarAsync<int>("SELECT Version FROM OrleansMembershipVersionTable WHERE DeploymentId = 'c'");
        var now = DateTime.UtcNow;
        object Member(int version, int status) => new
        {
            DeploymentId = "c", Address = "10.0.0.1", Port = 11111, Generation = 1, SiloName = "s1", HostName = "h1",
            Status = status, ProxyPort = 30000, StartTime = now, IAmAliveTime = now, SuspectTimes = (string?)null, Version = version,
        };
        await connection.ExecuteScalarAsync<int>(await Query("InsertMembershipVersionKey"), new { DeploymentId = "c" });

        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(await Query("InsertMembershipKey"), Member(0, 1)));
        Assert.Equal(1, await Version());
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(await Query("InsertMembershipKey"), Member(0, 1)));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(await Query("UpdateMembershipKey"), Member(0, 3)));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(await Query("UpdateMembershipKey"), Member(1, 3)));
        Assert.Equal(2, await Version());

        await connection.ExecuteAsync(await Query("UpdateIAmAlivetimeKey"), new
        {
            DeploymentId = "c", Address = "10.0.0.1", Port = 11111, Generation = 1, IAmAliveTime = now.AddSeconds(30),
        });
        Assert.Equal(2, await Version());
        var gateways = (await connection.QueryAsync<(string Address, int ProxyPort, int Generation)>(
            await Query("GatewaysQueryKey"), new { DeploymentId = "c", Status = 3 })).ToList();
        Assert.Equal([("10.0.0.1", 30000, 1)], gateways);

        await connection.ExecuteAsync(await Query("DeleteMembershipTableEntriesKey"), new { DeploymentId = "c" });
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM OrleansMembershipTable"));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM OrleansMembershipVersionTable"));
    }

    [Fact]
    public async Task MembershipReadAllKey_NoMembers_ReturnsTheVersionRow()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql);
        await using var connection = await db.Database.OpenConnectionAsync();
        var insertVersion = await connection.ExecuteScalarAsync<string>("SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'InsertMembershipVersionKey'");
        var readAll = await connection.ExecuteScalarAsync<string>("SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'MembershipReadAllKey'");

        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(insertVersion!, new { DeploymentId = "c" }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(insertVersion!, new { DeploymentId = "c" }));
        var rows = (await connection.QueryAsync(readAll!, new { DeploymentId = "c" })).ToList();

        var row = Assert.Single(rows);
        Assert.Null(row.starttime);
        Assert.Equal(0, (int)row.version);
    }
}
