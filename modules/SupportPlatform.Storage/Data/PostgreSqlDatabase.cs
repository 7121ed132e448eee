using System.Data.Common;
using Npgsql;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Data;

/// <summary>PostgreSQL through one process-wide <see cref="NpgsqlDataSource"/> (it owns the connection pool).</summary>
internal sealed class PostgreSqlDatabase(string connectionString) : IDatabase, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public DatabaseProvider Provider => DatabaseProvider.PostgreSql;

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    public void Dispose() => _dataSource.Dispose();
}
