using System.Data.Common;
using Npgsql;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Data;

/// <summary>PostgreSQL through one process-wide <see cref="NpgsqlDataSource"/> (it owns the connection pool).</summary>
internal sealed class PostgreSqlDatabase(string connectionString) : IDatabase, IAsyncDisposable, IDisposable
{
    /// <summary>Statements kept prepared per connection when the connection string does not say (Npgsql's "Max Auto Prepare").</summary>
    internal const int DefaultMaxAutoPrepare = 64;

    private readonly NpgsqlDataSource _dataSource = CreateDataSource(connectionString);

    /// <summary>
    /// The product sends the same few statements over and over (ticket rows, events, deadlines, outbox mail, search
    /// text), each parsed and planned anew by PostgreSQL unless prepared. Npgsql's automatic preparation keeps the
    /// most used ones prepared on each pooled connection, which saves the server that work on every execution (the
    /// ticket intake benchmark measured the difference). An explicit "Max Auto Prepare" in the connection string
    /// wins, so "Max Auto Prepare=0" turns it off (e.g. behind a pooler in transaction mode, which cannot keep
    /// prepared statements).
    /// </summary>
    private static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // The plain builder sees only the keys actually written (Npgsql's own ContainsKey answers for every known keyword).
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        return builder.Build();
    }

    public DatabaseProvider Provider => DatabaseProvider.PostgreSql;

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    public void Dispose() => _dataSource.Dispose();
}
