using System.Globalization;
using Npgsql;

namespace SupportPlatform.Storage.Contracts;

/// <summary>
/// "A host runs on this install": every running host holds a shared lock, and <c>supportctl restore</c> takes the
/// exclusive one, so a restore refuses while a host runs and a host refuses to start while a restore runs.
/// Two locks, both held by the operating system or the database for a live process only, so a host killed with
/// <c>kill -9</c> (or a crashed machine) leaves nothing stale behind:
/// <list type="bullet">
/// <item>an advisory lock (<c>flock</c>) on <c>&lt;DataPath&gt;/host.lock</c>, released by the kernel when the process
/// ends; the file itself stays and means nothing (both back-ends; the only lock with the embedded database);</item>
/// <item>on PostgreSQL, a session advisory lock held on one dedicated connection, released by the server when the
/// connection ends: this also sees the hosts of a cluster running on other machines.</item>
/// </list>
/// </summary>
public sealed class HostLock : IAsyncDisposable
{
    /// <summary>The lock file's name in the data folder (left out of backups and of the "is the install empty" check).</summary>
    public const string FileName = "host.lock";

    /// <summary>The PostgreSQL advisory lock key ("SPLH"); below 2^31, so <c>pg_locks</c> shows it as objid with classid 0.</summary>
    public const long AdvisoryLockKey = 0x53504C48;

    private readonly FileStream? _file;
    private NpgsqlConnection? _connection;

    private HostLock(FileStream? file, NpgsqlConnection? connection)
    {
        _file = file;
        _connection = connection;
    }

    /// <summary>
    /// Takes the host's shared lock on <paramref name="dataPath"/> (created if missing) and, on PostgreSQL, on the database.
    /// Fails with <see cref="HostLockUnavailableException"/> while <c>supportctl restore</c> holds the exclusive lock.
    /// </summary>
    public static async Task<HostLock> AcquireForHostAsync(string dataPath, DatabaseSettings database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        Directory.CreateDirectory(dataPath);
        var path = Path.Combine(dataPath, FileName);
        FileStream file;
        try
        {
            // .NET on Unix takes flock(LOCK_SH) for a read-only stream shared with others, LOCK_EX for FileShare.None;
            // a hand-written flock P/Invoke would do the same.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (IOException)
        {
            throw new HostLockUnavailableException(
                $"{path} is locked by a running 'supportctl restore': start the host after the restore has finished.");
        }

        if (database.Provider != DatabaseProvider.PostgreSql)
        {
            return new HostLock(file, null);
        }

        NpgsqlConnection? connection = null;
        try
        {
            connection = new NpgsqlConnection(Dedicated(database.ConnectionString, "SupportPlatform host lock"));
            await connection.OpenAsync(cancellationToken);
            if (!await TryLockAsync(connection, "pg_try_advisory_lock_shared", cancellationToken))
            {
                throw new HostLockUnavailableException(
                    $"The database {connection.Database} is locked by a running 'supportctl restore': start the host after the restore has finished.");
            }

            return new HostLock(file, connection);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// For maintenance that needs every host stopped: takes the exclusive lock, or returns <c>null</c> and why (which
    /// lock is held, and by whom when the database says). A data folder that does not exist has no host.
    /// </summary>
    public static async Task<(HostLock? Lock, string? HeldBy)> TryAcquireExclusiveAsync(string dataPath, DatabaseSettings database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        FileStream? file = null;
        var path = Path.Combine(dataPath, FileName);
        if (Directory.Exists(dataPath))
        {
            try
            {
                file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                return (null, $"a host holds {path}");
            }
        }

        if (database.Provider != DatabaseProvider.PostgreSql)
        {
            return (new HostLock(file, null), null);
        }

        var connection = new NpgsqlConnection(Dedicated(database.ConnectionString, "supportctl maintenance lock"));
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (await TryLockAsync(connection, "pg_try_advisory_lock", cancellationToken))
            {
                return (new HostLock(file, connection), null);
            }

            var holders = await HoldersAsync(connection, cancellationToken);
            await connection.DisposeAsync();
            if (file is not null)
            {
                await file.DisposeAsync();
            }

            return (null, $"{holders} connected to the database {connection.Database} as a running host");
        }
        catch
        {
            await connection.DisposeAsync();
            if (file is not null)
            {
                await file.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// For a host: checks that the database lock is still held and, when its connection was lost (the database restarted,
    /// the connection was cut), takes it again on a new one. Returns false when it could not (the database is down, or a
    /// restore holds the lock); call it again later. Always true on SQLite (the file lock cannot be lost).
    /// </summary>
    public async Task<bool> RefreshAsync(DatabaseSettings database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (database.Provider != DatabaseProvider.PostgreSql)
        {
            return true;
        }

        if (_connection is not null)
        {
            try
            {
                await using var probe = _connection.CreateCommand();
                probe.CommandText = "SELECT 1";
                await probe.ExecuteScalarAsync(cancellationToken);
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or ObjectDisposedException)
            {
                await _connection.DisposeAsync();
                _connection = null;
            }
        }

        var connection = new NpgsqlConnection(Dedicated(database.ConnectionString, "SupportPlatform host lock"));
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (await TryLockAsync(connection, "pg_try_advisory_lock_shared", cancellationToken))
            {
                _connection = connection;
                return true;
            }
        }
        catch (NpgsqlException)
        {
        }

        await connection.DisposeAsync();
        return false;
    }

    /// <summary>Releases the locks (closing the connection ends the database lock).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_file is not null)
        {
            await _file.DisposeAsync();
        }
    }

    // Its own physical connection: a pooled one would go back to the pool (and keep the lock) when "closed".
    private static string Dedicated(string connectionString, string applicationName) => new NpgsqlConnectionStringBuilder(connectionString)
    {
        Pooling = false,
        ApplicationName = applicationName,
        KeepAlive = 30,
    }.ConnectionString;

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {function}(@key)";
        command.Parameters.AddWithValue("key", AdvisoryLockKey);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<string> HoldersAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT coalesce(host(a.client_addr), 'a local socket'), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || 'Z', 'an unknown time')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = CAST(@key AS oid) AND l.objsubid = 1 AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """;
        command.Parameters.AddWithValue("key", (long)AdvisoryLockKey);
        var hosts = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                hosts.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)} (since {reader.GetString(1)})"));
            }
        }

        return hosts.Count switch
        {
            0 => "a host is",
            1 => $"a host from {hosts[0]} is",
            _ => $"{hosts.Count} hosts ({string.Join(", ", hosts)}) are",
        };
    }
}

/// <summary>The install's host lock is held by someone else; the message says who and what to do.</summary>
public sealed class HostLockUnavailableException(string message) : Exception(message);
