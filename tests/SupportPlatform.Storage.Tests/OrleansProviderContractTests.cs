using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Storage.Tests.Grains;
using SupportPlatform.Storage.Tests.Infrastructure;
using Xunit;

namespace SupportPlatform.Storage.Tests;

/// <summary>Orleans grain storage and reminders through a real silo on the storage module's configuration, on both back-ends.</summary>
public abstract class OrleansProviderContractTests
{
    protected abstract DatabaseProvider Provider { get; }

    [Fact]
    public async Task PersistentState_WrittenThenSiloRestarted_ReadsSameState()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);
        var serviceId = NewServiceId();

        var first = await TestSilo.StartAsync(db.Settings, TestSilo.NewCluster(serviceId));
        try
        {
            var grain = first.Services.GetRequiredService<IGrainFactory>().GetGrain<ITestCounterGrain>("c-alice");
            await grain.Increment("one");
            Assert.Equal(2, await grain.Increment("two"));
        }
        finally
        {
            await TestSilo.StopAsync(first);
        }

        var second = await TestSilo.StartAsync(db.Settings, TestSilo.NewCluster(serviceId));
        try
        {
            var state = await second.Services.GetRequiredService<IGrainFactory>().GetGrain<ITestCounterGrain>("c-alice").Get();
            Assert.Equal(2, state.Count);
            Assert.Equal("two", state.Label);

            var other = await second.Services.GetRequiredService<IGrainFactory>().GetGrain<ITestCounterGrain>("c-bob").Get();
            Assert.Equal(0, other.Count);
        }
        finally
        {
            await TestSilo.StopAsync(second);
        }
    }

    [Fact]
    public async Task GrainStorage_WriteWithStaleETag_ThrowsInconsistentStateException()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);
        var silo = await TestSilo.StartAsync(db.Settings, TestSilo.NewCluster(NewServiceId()));
        try
        {
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
            var grainId = GrainId.Create("sp-test", $"s-{Guid.NewGuid():N}");
            const string stateName = "sp-test-direct";

            var fresh = new GrainState<CounterState>(new CounterState());
            await storage.ReadStateAsync(stateName, grainId, fresh);
            Assert.False(fresh.RecordExists);
            Assert.Null(fresh.ETag);

            var writerA = new GrainState<CounterState>(new CounterState { Count = 1 });
            await storage.WriteStateAsync(stateName, grainId, writerA);
            Assert.NotNull(writerA.ETag);
            Assert.True(writerA.RecordExists);

            var writerB = new GrainState<CounterState>(new CounterState());
            await storage.ReadStateAsync(stateName, grainId, writerB);
            Assert.Equal(1, writerB.State!.Count);
            Assert.Equal(writerA.ETag, writerB.ETag);
            writerB.State!.Count = 2;
            await storage.WriteStateAsync(stateName, grainId, writerB);
            Assert.NotEqual(writerA.ETag, writerB.ETag);

            writerA.State!.Count = 99;
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(stateName, grainId, writerA));

            var blind = new GrainState<CounterState>(new CounterState { Count = 7 });
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(stateName, grainId, blind));

            var check = new GrainState<CounterState>(new CounterState());
            await storage.ReadStateAsync(stateName, grainId, check);
            Assert.Equal(2, check.State!.Count);
        }
        finally
        {
            await TestSilo.StopAsync(silo);
        }
    }

    [Fact]
    public async Task GrainStorage_Clear_RemovesStateAndAllowsRewrite()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);
        var silo = await TestSilo.StartAsync(db.Settings, TestSilo.NewCluster(NewServiceId()));
        try
        {
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
            var grainId = GrainId.Create("sp-test", $"s-{Guid.NewGuid():N}");
            const string stateName = "sp-test-direct";
            var state = new GrainState<CounterState>(new CounterState { Count = 5 });
            await storage.WriteStateAsync(stateName, grainId, state);
            var stale = new GrainState<CounterState>(new CounterState()) { ETag = state.ETag };

            await storage.ClearStateAsync(stateName, grainId, state);

            Assert.False(state.RecordExists);
            var read = new GrainState<CounterState>(new CounterState());
            await storage.ReadStateAsync(stateName, grainId, read);
            Assert.False(read.RecordExists);
            Assert.Equal(0, read.State!.Count);
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(stateName, grainId, stale));

            read.State!.Count = 6;
            await storage.WriteStateAsync(stateName, grainId, read);
            var again = new GrainState<CounterState>(new CounterState());
            await storage.ReadStateAsync(stateName, grainId, again);
            Assert.True(again.RecordExists);
            Assert.Equal(6, again.State!.Count);
        }
        finally
        {
            await TestSilo.StopAsync(silo);
        }
    }

    [Fact]
    public async Task GrainStorage_DefaultProvider_UsesOrleansBinarySerializerNotJson()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);
        var silo = await TestSilo.StartAsync(db.Settings, TestSilo.NewCluster(NewServiceId()));
        try
        {
            var options = silo.Services.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get("Default");
            Assert.IsType<OrleansGrainStorageSerializer>(options.GrainStorageSerializer);

            await silo.Services.GetRequiredService<IGrainFactory>().GetGrain<ITestCounterGrain>("c-carol").Increment("bin");
            await using var connection = await db.Database.OpenConnectionAsync();
            var payload = await connection.ExecuteScalarAsync<byte[]>("SELECT PayloadBinary FROM OrleansStorage WHERE GrainTypeString = 'sp-test-counter'");
            Assert.NotNull(payload);
            Assert.NotEqual((byte)'{', payload[0]);
            Assert.DoesNotContain("CounterState", System.Text.Encoding.UTF8.GetString(payload), StringComparison.Ordinal);
        }
        finally
        {
            await TestSilo.StopAsync(silo);
        }
    }

    [Fact]
    public async Task Reminder_RegisteredThenSiloRestarted_IsPersistedUntilUnregistered()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);
        var serviceId = NewServiceId();
        GrainId grainId;

        var first = await TestSilo.StartAsync(db.Settings, TestSilo.NewCluster(serviceId));
        try
        {
            var grain = first.Services.GetRequiredService<IGrainFactory>().GetGrain<ITestReminderGrain>("r-1");
            grainId = grain.GetGrainId();
            await grain.Register();

            var rows = await first.Services.GetRequiredService<IReminderTable>().ReadRows(grainId);
            var row = Assert.Single(rows.Reminders);
            Assert.Equal(TestReminderGrain.ReminderName, row.ReminderName);
            Assert.Equal(TimeSpan.FromMinutes(30), row.Period);
        }
        finally
        {
            await TestSilo.StopAsync(first);
        }

        var second = await TestSilo.StartAsync(db.Settings, TestSilo.NewCluster(serviceId));
        try
        {
            var grain = second.Services.GetRequiredService<IGrainFactory>().GetGrain<ITestReminderGrain>("r-1");
            Assert.Equal([TestReminderGrain.ReminderName], await grain.GetReminderNames());

            await grain.Unregister();

            Assert.Empty((await second.Services.GetRequiredService<IReminderTable>().ReadRows(grainId)).Reminders);
            Assert.Empty(await grain.GetReminderNames());
        }
        finally
        {
            await TestSilo.StopAsync(second);
        }
    }

    private static string NewServiceId() => $"sp-test-{Guid.NewGuid():N}";
}

public sealed class PostgreSqlOrleansProviderContractTests : OrleansProviderContractTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

public sealed class SqliteOrleansProviderContractTests : OrleansProviderContractTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}
