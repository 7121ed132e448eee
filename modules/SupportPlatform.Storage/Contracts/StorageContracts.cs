using System.Data.Common;
using System.Net;

namespace SupportPlatform.Storage.Contracts;

/// <summary>Which database back-end the platform runs on.</summary>
public enum DatabaseProvider
{
    /// <summary>Embedded SQLite file under the data folder: the zero-configuration default, single node.</summary>
    Sqlite,

    /// <summary>PostgreSQL through Npgsql: production, and required for a multi-silo cluster.</summary>
    PostgreSql,
}

/// <summary>The database the platform stores everything in (grain state, reminders, clustering, read model).</summary>
public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString)
{
    /// <summary>File name of the embedded database inside the data folder.</summary>
    public const string EmbeddedFileName = "supportplatform.db";

    /// <summary>
    /// The embedded default: <c>supportplatform.db</c> in <paramref name="dataPath"/>. Creates the folder if it is
    /// missing; the connection string holds the absolute file path and a 30 s default command (busy) timeout.
    /// </summary>
    public static DatabaseSettings Embedded(string dataPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataPath);
        var folder = Path.GetFullPath(dataPath);
        Directory.CreateDirectory(folder);
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(folder, EmbeddedFileName),
            Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate,
            Cache = Microsoft.Data.Sqlite.SqliteCacheMode.Private,
            ForeignKeys = true,
            DefaultTimeout = 30,
            Pooling = true,
        };
        return new DatabaseSettings(DatabaseProvider.Sqlite, builder.ToString());
    }

    // The connection string may hold a password: keep it out of ToString() and therefore out of logs.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Provider = ").Append(Provider).Append(", ConnectionString = ***");
        return true;
    }
}

/// <summary>How this silo joins its cluster.</summary>
/// <param name="ClusterId">Deployment id shared by all silos of one cluster.</param>
/// <param name="ServiceId">Stable service id; stored rows (grain state, reminders) are keyed by it.</param>
/// <param name="SiloPort">Silo-to-silo TCP port.</param>
/// <param name="GatewayPort">Client gateway TCP port.</param>
/// <param name="AdvertisedAddress">Address other silos use to reach this one.</param>
public sealed record ClusterSettings(string ClusterId, string ServiceId, int SiloPort, int GatewayPort, IPAddress AdvertisedAddress);

/// <summary>Opens connections to the platform's database, for the read model and queries.</summary>
public interface IDatabase
{
    /// <summary>The back-end in use.</summary>
    DatabaseProvider Provider { get; }

    /// <summary>Opens a new connection; the caller disposes it.</summary>
    Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default);
}

/// <summary>Applies the versioned schema (Orleans provider tables and queries, read model) to the database.</summary>
public interface IDatabaseMigrator
{
    /// <summary>Brings the database to the newest schema version. Idempotent; safe when several silos run it at once.</summary>
    Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a migration run did.</summary>
/// <param name="FromVersion">Schema version found (0 for an empty database).</param>
/// <param name="ToVersion">Schema version after the run.</param>
/// <param name="Applied">Names of the migrations this run applied, in order.</param>
public sealed record MigrationResult(int FromVersion, int ToVersion, IReadOnlyList<string> Applied);
