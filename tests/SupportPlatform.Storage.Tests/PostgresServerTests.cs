using Dapper;
using Npgsql;
using SupportPlatform.Testing;
using Xunit;

namespace SupportPlatform.Storage.Tests;

/// <summary>The shared test infrastructure other test projects rely on.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public async Task CreateDatabaseAsync_TwoCalls_ReturnDistinctEmptyDatabasesOnOneServer()
    {
        var first = new NpgsqlConnectionStringBuilder(await PostgresServer.Shared.CreateDatabaseAsync("tickets"));
        var second = new NpgsqlConnectionStringBuilder(await PostgresServer.Shared.CreateDatabaseAsync("tickets"));

        Assert.NotEqual(first.Database, second.Database);
        Assert.StartsWith("tickets_", first.Database, StringComparison.Ordinal);
        Assert.Equal(first.Port, second.Port);
        await using var connection = new NpgsqlConnection(first.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"));
    }

    [Fact]
    public void TempDirectory_Disposed_DeletesFolder()
    {
        var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("x.txt"), "x");

        temp.Dispose();

        Assert.False(Directory.Exists(temp.Path));
    }
}
