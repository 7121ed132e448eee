using System.Data.Common;
using Microsoft.Data.Sqlite;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Data;

/// <summary>
/// The embedded SQLite file through Microsoft.Data.Sqlite. Every opened connection gets the per-connection pragmas
/// (synchronous=FULL, foreign_keys=ON, busy_timeout); WAL is a property of the file and is set once.
/// </summary>
internal sealed class SqliteDatabase(string connectionString) : IDatabase
{
    /// <summary>Milliseconds a connection waits for a lock held by another connection before failing with SQLITE_BUSY.</summary>
    public const int BusyTimeoutMs = 30_000;

    private const string ConnectionPragmas =
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;";

    private int _walEnsured;

    public DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public string ConnectionString { get; } = connectionString;

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        await OpenSqliteConnectionAsync(cancellationToken).ConfigureAwait(false);

    public async Task<SqliteConnection> OpenSqliteConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = ConnectionPragmas;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (Volatile.Read(ref _walEnsured) == 0)
            {
                await EnsureWalAsync(connection, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _walEnsured, 1);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task EnsureWalAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        var mode = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Could not switch the SQLite database to WAL journal mode (got '{mode}').");
        }
    }
}
