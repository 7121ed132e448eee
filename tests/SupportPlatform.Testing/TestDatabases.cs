using Microsoft.Data.Sqlite;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Testing;

/// <summary>Fresh, empty databases for tests, on either back-end.</summary>
public static class TestDatabases
{
    /// <summary>
    /// Settings for a fresh embedded SQLite database in a new temp folder (<see cref="DatabaseSettings.Embedded"/>).
    /// Dispose the returned folder at the end of the test; it clears SQLite's connection pools first so that the file can go.
    /// </summary>
    public static (DatabaseSettings Settings, IDisposable Folder) CreateSqlite()
    {
        var folder = new TempDirectory("sp-sqlite-");
        return (DatabaseSettings.Embedded(folder.Path), new SqliteFolder(folder));
    }

    /// <summary>Settings for a fresh PostgreSQL database on the shared test server (<see cref="PostgresServer.Shared"/>).</summary>
    public static async Task<DatabaseSettings> CreatePostgreSqlAsync(string? prefix = null) =>
        new(DatabaseProvider.PostgreSql, await PostgresServer.Shared.CreateDatabaseAsync(prefix).ConfigureAwait(false));

    /// <summary>A fresh database of <paramref name="provider"/>; dispose the returned handle at the end of the test.</summary>
    public static async Task<(DatabaseSettings Settings, IDisposable Cleanup)> CreateAsync(DatabaseProvider provider, string? prefix = null)
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            return CreateSqlite();
        }

        return (await CreatePostgreSqlAsync(prefix).ConfigureAwait(false), new NoCleanup());
    }

    private sealed class SqliteFolder(TempDirectory folder) : IDisposable
    {
        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            folder.Dispose();
        }
    }

    // PostgreSQL test databases live until the throwaway server is deleted at process exit.
    private sealed class NoCleanup : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
