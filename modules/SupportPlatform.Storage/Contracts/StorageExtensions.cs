using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SupportPlatform.Core;
using SupportPlatform.Storage.Data;
using SupportPlatform.Storage.Idempotency;
using SupportPlatform.Storage.Migrations;
using SupportPlatform.Storage.Orleans;

namespace SupportPlatform.Storage.Contracts;

/// <summary>Registration of the storage module.</summary>
public static class StorageExtensions
{
    /// <summary>ADO.NET invariant of PostgreSQL (Npgsql).</summary>
    public const string PostgreSqlInvariant = "Npgsql";

    /// <summary>ADO.NET invariant Orleans maps to Microsoft.Data.Sqlite.</summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>
    /// Registers <see cref="IDatabase"/>, <see cref="IDatabaseMigrator"/> and <see cref="IIdempotencyStore"/> (singletons)
    /// for <paramref name="settings"/>, and <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is registered.
    /// </summary>
    public static IServiceCollection AddSupportPlatformStorage(this IServiceCollection services, DatabaseSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        var connectionString = ConnectionStrings.Normalize(settings);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDatabase>(_ => settings.Provider switch
        {
            DatabaseProvider.PostgreSql => new PostgreSqlDatabase(connectionString),
            _ => new SqliteDatabase(connectionString),
        });
        services.TryAddSingleton<IDatabaseMigrator>(sp => new DatabaseMigrator(
            sp.GetRequiredService<IDatabase>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<DatabaseMigrator>>()));
        services.TryAddSingleton<IIdempotencyStore>(sp => new IdempotencyStore(
            sp.GetRequiredService<IDatabase>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IHousekeepingTask, ExpiredIdempotencyKeysTask>();
        return services;
    }

    /// <summary>
    /// Configures the silo's clustering, grain storage (provider "Default", version-tolerant Orleans binary serializer)
    /// and reminders on <paramref name="settings"/>: ADO.NET on PostgreSQL; on SQLite, ADO.NET grain storage and
    /// reminders with single-node localhost clustering.
    /// </summary>
    /// <remarks>
    /// This does not create or migrate the schema: the host must run <see cref="IDatabaseMigrator.MigrateAsync"/> before
    /// the silo starts (the Orleans providers read their queries from the <c>OrleansQuery</c> table once, at start-up).
    /// Grain state is keyed by (ServiceId, state name, grain key): state names must be globally unique, and string grain
    /// keys should start with a non-hex character.
    /// </remarks>
    public static ISiloBuilder UseSupportPlatformStorage(this ISiloBuilder silo, DatabaseSettings settings, ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(cluster);
        var connectionString = ConnectionStrings.Normalize(settings);

        if (settings.Provider == DatabaseProvider.PostgreSql)
        {
            silo.UseAdoNetClustering(options =>
            {
                options.Invariant = PostgreSqlInvariant;
                options.ConnectionString = connectionString;
            });
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = cluster.ClusterId;
                options.ServiceId = cluster.ServiceId;
            });
            silo.Configure<EndpointOptions>(options =>
            {
                options.SiloPort = cluster.SiloPort;
                options.GatewayPort = cluster.GatewayPort;
                options.AdvertisedIPAddress = cluster.AdvertisedAddress;
                options.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, cluster.SiloPort);
                options.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, cluster.GatewayPort);
            });
        }
        else
        {
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, null, cluster.ServiceId, cluster.ClusterId);
        }

        var invariant = settings.Provider == DatabaseProvider.PostgreSql ? PostgreSqlInvariant : SqliteInvariant;
        silo.AddAdoNetGrainStorage(PlatformNames.GrainStorage, optionsBuilder => optionsBuilder.Configure<IServiceProvider>((options, services) =>
        {
            options.Invariant = invariant;
            options.ConnectionString = connectionString;
            options.GrainStorageSerializer = GrainStorageSerializerFactory.Create(services);
        }));
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = invariant;
            options.ConnectionString = connectionString;
        });
        return silo;
    }
}
