using Microsoft.Extensions.DependencyInjection;

namespace SupportPlatform.Storage.Contracts;

/// <summary>Registration of the storage module.</summary>
public static class StorageExtensions
{
    /// <summary>Registers <see cref="IDatabase"/> and <see cref="IDatabaseMigrator"/> for <paramref name="settings"/>.</summary>
    public static IServiceCollection AddSupportPlatformStorage(this IServiceCollection services, DatabaseSettings settings) =>
        throw new NotImplementedException("filled in by the storage work");

    /// <summary>
    /// Configures the silo's clustering, grain storage (provider "Default", version-tolerant Orleans binary serializer)
    /// and reminders on <paramref name="settings"/>: ADO.NET on PostgreSQL; on SQLite, ADO.NET grain storage and
    /// reminders with single-node localhost clustering.
    /// </summary>
    public static ISiloBuilder UseSupportPlatformStorage(this ISiloBuilder silo, DatabaseSettings settings, ClusterSettings cluster) =>
        throw new NotImplementedException("filled in by the storage work");
}
