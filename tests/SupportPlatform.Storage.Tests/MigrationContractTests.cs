using System.Data.Common;
using Dapper;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Storage.Migrations;
using SupportPlatform.Storage.Tests.Infrastructure;
using Xunit;

namespace SupportPlatform.Storage.Tests;

/// <summary>The migrator's contract, run on both back-ends.</summary>
public abstract class MigrationContractTests
{
    protected abstract DatabaseProvider Provider { get; }

    /// <summary>Query keys the Orleans providers of this back-end require (clustering only on PostgreSQL).</summary>
    protected abstract IReadOnlyCollection<string> ExpectedQueryKeys { get; }

    private IReadOnlyList<Migration> Embedded => EmbeddedMigrations.Load(Provider);

    [Fact]
    public async Task MigrateAsync_FreshDatabase_AppliesAllMigrationsInOrder()
    {
        await using var db = await TestDatabase.CreateAsync(Provider, migrate: false);

        var result = await db.Migrator.MigrateAsync();

        Assert.Equal(0, result.FromVersion);
        Assert.Equal(Embedded[^1].Version, result.ToVersion);
        Assert.Equal(Embedded.Select(m => m.Name), result.Applied);
        await using var connection = await db.Database.OpenConnectionAsync();
        var recorded = (await connection.QueryAsync<(long Version, string Name, string Checksum)>(
            "SELECT version, name, checksum FROM sp_schema_migrations ORDER BY version")).ToList();
        Assert.Equal(Embedded.Select(m => ((long)m.Version, m.Name, m.Checksum)), recorded);
    }

    [Fact]
    public async Task MigrateAsync_AfterMigration_InstallsEveryRequiredOrleansQuery()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);

        await using var connection = await db.Database.OpenConnectionAsync();
        var keys = (await connection.QueryAsync<string>("SELECT QueryKey FROM OrleansQuery")).ToHashSet();

        Assert.Equal(ExpectedQueryKeys.OrderBy(k => k), keys.OrderBy(k => k));
    }

    [Fact]
    public async Task MigrateAsync_SecondRun_AppliesNothing()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);

        var result = await db.Migrator.MigrateAsync();

        Assert.Empty(result.Applied);
        Assert.Equal(result.ToVersion, result.FromVersion);
        await using var connection = await db.Database.OpenConnectionAsync();
        Assert.Equal(Embedded.Count, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sp_schema_migrations"));
    }

    [Fact]
    public async Task MigrateAsync_FourConcurrentMigratorsOnFreshDatabase_AllSucceedAndEachMigrationIsAppliedOnce()
    {
        await using var db = await TestDatabase.CreateAsync(Provider, migrate: false);
        var providers = Enumerable.Range(0, 4).Select(_ => TestDatabase.CreateServices(db.Settings)).ToList();
        try
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var runs = providers.Select(sp => Task.Run(async () =>
            {
                var migrator = (IDatabaseMigrator)sp.GetService(typeof(IDatabaseMigrator))!;
                await gate.Task;
                return await migrator.MigrateAsync();
            })).ToList();

            gate.SetResult();
            var results = await Task.WhenAll(runs);

            var appliedOverall = results.SelectMany(r => r.Applied).ToList();
            Assert.Equal(Embedded.Select(m => m.Name).OrderBy(n => n), appliedOverall.OrderBy(n => n));
            Assert.All(results, r => Assert.Equal(Embedded[^1].Version, r.ToVersion));
            await using var connection = await db.Database.OpenConnectionAsync();
            Assert.Equal(Embedded.Count, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sp_schema_migrations"));
        }
        finally
        {
            foreach (var sp in providers)
            {
                await sp.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task MigrateAsync_AppliedMigrationChanged_FailsNamingTheFile()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);
        await using (var connection = await db.Database.OpenConnectionAsync())
        {
            // Equivalent to editing 0001_orleans.sql after it was applied: the recorded and embedded checksums differ.
            await connection.ExecuteAsync("UPDATE sp_schema_migrations SET checksum = 'c0ffee' WHERE version = 1");
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Migrator.MigrateAsync());

        Assert.Contains($"Sql/{EmbeddedMigrations.DialectFolder(Provider)}/0001_orleans.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("changed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateAsync_DatabaseFromNewerVersion_FailsInsteadOfDowngrading()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);
        await using (var connection = await db.Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO sp_schema_migrations (version, name, checksum, applied_at_ms) VALUES (9999, '9999_future.sql', 'x', 0)");
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Migrator.MigrateAsync());

        Assert.Contains("9999_future.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateAsync_FailingMigration_LeavesNothingApplied()
    {
        await using var db = await TestDatabase.CreateAsync(Provider, migrate: false);
        var broken = Embedded.Append(new Migration(900, "0900_broken.sql", "test", "CREATE TABLE sp_half_done (id int); SELECT * FROM no_such_table;")).ToList();
        var migrator = new DatabaseMigrator(db.Database, broken, TimeProvider.System, null);

        await Assert.ThrowsAnyAsync<DbException>(() => migrator.MigrateAsync());

        await using var connection = await db.Database.OpenConnectionAsync();
        var tables = await SchemaIntrospection.ReadColumnsAsync(connection, Provider);
        Assert.DoesNotContain(tables, c => c.Table is "sp_half_done" or "sp_schema_migrations" or "sp_idempotency_keys");
    }
}

public sealed class PostgreSqlMigrationContractTests : MigrationContractTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;

    protected override IReadOnlyCollection<string> ExpectedQueryKeys => OrleansQueryKeys.Clustering
        .Concat(OrleansQueryKeys.Persistence).Concat(OrleansQueryKeys.Reminders).ToList();
}

public sealed class SqliteMigrationContractTests : MigrationContractTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    protected override IReadOnlyCollection<string> ExpectedQueryKeys => OrleansQueryKeys.Persistence.Concat(OrleansQueryKeys.Reminders).ToList();

    [Fact]
    public async Task OpenConnectionAsync_Sqlite_AppliesWalSynchronousFullForeignKeysAndBusyTimeout()
    {
        await using var db = await TestDatabase.CreateAsync(Provider);

        await using var connection = await db.Database.OpenConnectionAsync();

        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous"));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
        Assert.True(await connection.ExecuteScalarAsync<long>("PRAGMA busy_timeout") >= 5000);
    }

    [Fact]
    public async Task OrleansConnection_ConnectionStringOnly_IsWalSynchronousFullWithForeignKeys()
    {
        // The Orleans ADO.NET providers open their own connections from the connection string and run no pragmas:
        // WAL must persist in the file, and synchronous=FULL must be the bundled SQLite's default (DEFAULT_WAL_SYNCHRONOUS=2).
        // Waiting on a locked database comes from Microsoft.Data.Sqlite, which retries SQLITE_BUSY until the
        // command timeout ("Default Timeout" in the connection string) runs out.
        await using var db = await TestDatabase.CreateAsync(Provider);
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            SupportPlatform.Storage.Data.ConnectionStrings.Normalize(db.Settings));
        await connection.OpenAsync();

        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous"));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
        Assert.True(connection.DefaultTimeout >= 5);
    }

    [Fact]
    public void Embedded_DataPath_CreatesFolderAndPointsAtAbsoluteDatabaseFile()
    {
        using var temp = new SupportPlatform.Testing.TempDirectory();
        var dataPath = Path.Combine(temp.Path, "not", "yet", "there");

        var settings = DatabaseSettings.Embedded(dataPath);

        Assert.True(Directory.Exists(dataPath));
        Assert.Equal(DatabaseProvider.Sqlite, settings.Provider);
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(settings.ConnectionString);
        Assert.Equal(Path.Combine(Path.GetFullPath(dataPath), "supportplatform.db"), builder.DataSource);
        Assert.True(Path.IsPathRooted(builder.DataSource));
        Assert.True(builder.DefaultTimeout >= 5);
    }
}

/// <summary>The query keys of the Orleans ADO.NET contract (ORLEANS.md, section 1).</summary>
internal static class OrleansQueryKeys
{
    public static readonly string[] Clustering =
    [
        "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "InsertMembershipKey", "UpdateMembershipKey",
        "UpdateIAmAlivetimeKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey", "CleanupDefunctSiloEntriesKey",
        "CleanupDefunctSiloEntryKey",
    ];

    public static readonly string[] Persistence = ["WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey"];

    public static readonly string[] Reminders =
    [
        "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "UpsertReminderRowKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];
}
