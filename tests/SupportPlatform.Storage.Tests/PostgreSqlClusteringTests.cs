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
    public async Task TwoSilos_SameCluster_BecomeActiveAndDeadAfterGracefulStop()
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
