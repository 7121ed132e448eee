using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;

namespace SupportPlatform.Storage.Tests.Infrastructure;

/// <summary>A fresh database of one back-end for one test, with services registered on it.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly IDisposable _cleanup;

    private TestDatabase(DatabaseSettings settings, IDisposable cleanup, ServiceProvider services)
    {
        Settings = settings;
        _cleanup = cleanup;
        Services = services;
    }

    public DatabaseSettings Settings { get; }

    public ServiceProvider Services { get; }

    public IDatabase Database => Services.GetRequiredService<IDatabase>();

    public IDatabaseMigrator Migrator => Services.GetRequiredService<IDatabaseMigrator>();

    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider, bool migrate = true, TimeProvider? timeProvider = null)
    {
        var (settings, cleanup) = await TestDatabases.CreateAsync(provider, "storage").ConfigureAwait(false);
        var services = CreateServices(settings, timeProvider);
        var database = new TestDatabase(settings, cleanup, services);
        if (migrate)
        {
            await database.Migrator.MigrateAsync().ConfigureAwait(false);
        }

        return database;
    }

    /// <summary>An independent service provider on the same database (a second "process").</summary>
    public static ServiceProvider CreateServices(DatabaseSettings settings, TimeProvider? timeProvider = null)
    {
        var services = new ServiceCollection();
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        return services.AddSupportPlatformStorage(settings).BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync().ConfigureAwait(false);
        _cleanup.Dispose();
    }
}
