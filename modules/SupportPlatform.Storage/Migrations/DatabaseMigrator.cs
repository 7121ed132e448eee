using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Migrations;

/// <summary>
/// Applies the embedded migrations in order inside one transaction and records them in <c>sp_schema_migrations</c>.
/// PostgreSQL: the transaction first takes a transaction-scoped advisory lock, so concurrent migrators (several silos
/// starting at once) run one after the other; the later ones find everything applied. PostgreSQL DDL is transactional,
/// so a failing migration leaves nothing behind. SQLite: <c>BEGIN IMMEDIATE</c> takes the write lock up front.
/// </summary>
internal sealed class DatabaseMigrator : IDatabaseMigrator
{
    /// <summary>Advisory lock key of the migrator ("SPMIGRAT" as ASCII).</summary>
    internal const long AdvisoryLockKey = 0x5350_4D49_4752_4154;

    private const string CreateHistoryTableSql = """
        CREATE TABLE IF NOT EXISTS sp_schema_migrations
        (
            version       int    NOT NULL PRIMARY KEY,
            name          text   NOT NULL,
            checksum      text   NOT NULL,
            applied_at_ms bigint NOT NULL
        );
        """;

    private readonly IDatabase _database;
    private readonly IReadOnlyList<Migration> _migrations;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public DatabaseMigrator(IDatabase database, TimeProvider timeProvider, ILogger<DatabaseMigrator>? logger)
        : this(database, EmbeddedMigrations.Load(database.Provider), timeProvider, logger)
    {
    }

    internal DatabaseMigrator(IDatabase database, IReadOnlyList<Migration> migrations, TimeProvider timeProvider, ILogger? logger)
    {
        _database = database;
        _migrations = migrations;
        _timeProvider = timeProvider;
        _logger = logger ?? NullLogger.Instance;
    }

    public async Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginAsync(connection, cancellationToken).ConfigureAwait(false);

        if (_database.Provider == DatabaseProvider.PostgreSql)
        {
            await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey});", cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, transaction, CreateHistoryTableSql, cancellationToken).ConfigureAwait(false);
        var applied = await ReadAppliedAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        Validate(applied);

        var fromVersion = applied.Count == 0 ? 0 : applied.Keys.Max();
        var appliedNow = new List<string>();
        foreach (var migration in _migrations)
        {
            if (applied.ContainsKey(migration.Version))
            {
                continue;
            }

            _logger.LogInformation("Applying database migration {Migration} ({Provider})", migration.Name, _database.Provider);
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText =
                    "INSERT INTO sp_schema_migrations (version, name, checksum, applied_at_ms) VALUES (@version, @name, @checksum, @applied_at_ms);";
                AddParameter(record, "version", migration.Version);
                AddParameter(record, "name", migration.Name);
                AddParameter(record, "checksum", migration.Checksum);
                AddParameter(record, "applied_at_ms", _timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            appliedNow.Add(migration.Name);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        var toVersion = Math.Max(fromVersion, _migrations.Count == 0 ? 0 : _migrations[^1].Version);
        if (appliedNow.Count == 0)
        {
            _logger.LogInformation("Database schema is up to date at version {Version} ({Provider})", toVersion, _database.Provider);
        }
        else
        {
            _logger.LogInformation(
                "Database schema migrated from version {From} to {To} ({Provider}): {Migrations}",
                fromVersion, toVersion, _database.Provider, string.Join(", ", appliedNow));
        }

        return new MigrationResult(fromVersion, toVersion, appliedNow);
    }

    private void Validate(Dictionary<int, (string Name, string Checksum)> applied)
    {
        var folder = EmbeddedMigrations.DialectFolder(_database.Provider);
        foreach (var migration in _migrations)
        {
            if (applied.TryGetValue(migration.Version, out var row) && !string.Equals(row.Checksum, migration.Checksum, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"Database migration Sql/{folder}/{migration.Name} (version {migration.Version}) has changed since it was applied " +
                    $"as '{row.Name}': the recorded checksum is {row.Checksum}, the file's is {migration.Checksum}. " +
                    "An applied migration must never be edited: restore the file and put the change in a new migration.");
            }
        }

        var known = _migrations.Count == 0 ? 0 : _migrations[^1].Version;
        var unknown = applied.Keys.Where(v => v > known).OrderBy(v => v).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException(
                $"The database has schema migrations this build does not know ({string.Join(", ", unknown.Select(v => applied[v].Name))}): " +
                "it was migrated by a newer version of SupportPlatform. Run that version (downgrades are not supported).");
        }
    }

    private static async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (connection is SqliteConnection sqlite)
        {
            // deferred: false = BEGIN IMMEDIATE: take the write lock now, not on the first write.
            return sqlite.BeginTransaction(deferred: false);
        }

        return await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadAppliedAsync(
        DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, (string, string)>();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version, name, checksum FROM sp_schema_migrations ORDER BY version;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied[Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)] = (reader.GetString(1), reader.GetString(2));
        }

        return applied;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
