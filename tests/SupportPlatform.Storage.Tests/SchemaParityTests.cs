using SupportPlatform.Storage.Contracts;
using SupportPlatform.Storage.Migrations;
using SupportPlatform.Storage.Tests.Infrastructure;
using Xunit;

namespace SupportPlatform.Storage.Tests;

/// <summary>The two dialects describe the same schema.</summary>
public sealed class SchemaParityTests
{
    /// <summary>Tables that exist only on PostgreSQL, by design: SQLite uses single-node localhost clustering.</summary>
    private static readonly string[] PostgreSqlOnlyTables = ["orleansmembershiptable", "orleansmembershipversiontable"];

    [Fact]
    public void EmbeddedMigrations_BothDialects_HaveTheSameNumberedNames()
    {
        var postgres = EmbeddedMigrations.Load(DatabaseProvider.PostgreSql).Select(m => m.Name).ToList();
        var sqlite = EmbeddedMigrations.Load(DatabaseProvider.Sqlite).Select(m => m.Name).ToList();

        Assert.NotEmpty(postgres);
        Assert.Equal(postgres, sqlite);
        Assert.Contains("0001_orleans.sql", postgres);
        Assert.Contains("0002_read_model.sql", postgres);
    }

    [Fact]
    public async Task MigrateAsync_BothBackEnds_ReadModelTablesAndColumnsAreIdentical()
    {
        var (postgres, sqlite) = await ReadBothAsync();

        var readModelPostgres = postgres.Where(c => c.Table.StartsWith("sp_", StringComparison.Ordinal)).ToList();
        var readModelSqlite = sqlite.Where(c => c.Table.StartsWith("sp_", StringComparison.Ordinal)).ToList();

        Assert.Contains(readModelPostgres, c => c.Table == "sp_idempotency_keys" && c.Column == "expires_at_ms");
        Assert.Contains(readModelPostgres, c => c.Table == "sp_schema_migrations");
        Assert.Equal(readModelPostgres, readModelSqlite);
    }

    [Fact]
    public async Task MigrateAsync_BothBackEnds_OrleansTablesDifferOnlyByClustering()
    {
        var (postgres, sqlite) = await ReadBothAsync();

        var orleansPostgres = postgres.Where(c => c.Table.StartsWith("orleans", StringComparison.Ordinal)).ToList();
        var orleansSqlite = sqlite.Where(c => c.Table.StartsWith("orleans", StringComparison.Ordinal)).ToList();

        Assert.All(PostgreSqlOnlyTables, t => Assert.Contains(orleansPostgres, c => c.Table == t));
        Assert.Equal(orleansPostgres.Where(c => !PostgreSqlOnlyTables.Contains(c.Table)), orleansSqlite);
    }

    private static async Task<(IReadOnlyList<ColumnInfo> Postgres, IReadOnlyList<ColumnInfo> Sqlite)> ReadBothAsync()
    {
        await using var postgres = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql);
        await using var sqlite = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var pgConnection = await postgres.Database.OpenConnectionAsync();
        await using var sqliteConnection = await sqlite.Database.OpenConnectionAsync();
        return (await SchemaIntrospection.ReadColumnsAsync(pgConnection, DatabaseProvider.PostgreSql),
                await SchemaIntrospection.ReadColumnsAsync(sqliteConnection, DatabaseProvider.Sqlite));
    }
}
