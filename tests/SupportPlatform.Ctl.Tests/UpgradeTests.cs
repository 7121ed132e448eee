using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Ctl.Tests;

/// <summary>The current host starts on a database left by the previous schema version, upgrades it and keeps its data.</summary>
public sealed class UpgradeTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public async Task Host_DatabaseOfThePreviousSchemaVersion_UpgradesAndKeepsData(DatabaseProvider provider)
    {
        using var data = new TempDirectory("sp-upgrade-");
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("upgrade") : null;
        var settings = postgres is null ? DatabaseSettings.Embedded(data.Path) : new DatabaseSettings(provider, postgres);
        var migrations = Migrations(provider);
        Assert.True(migrations.Count >= 2);
        var previous = migrations[^2].Version;

        // The database as the previous version left it: every migration but the newest, and data in it.
        await using (DbConnection connection = provider == DatabaseProvider.PostgreSql ? new NpgsqlConnection(postgres) : new SqliteConnection(settings.ConnectionString))
        {
            await connection.OpenAsync();
            await Execute(connection, "CREATE TABLE sp_schema_migrations (version int NOT NULL PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at_ms bigint NOT NULL)");
            foreach (var (version, name, sql) in migrations.SkipLast(1))
            {
                await Execute(connection, sql);
                var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
                await Execute(connection, $"INSERT INTO sp_schema_migrations VALUES ({version}, '{name}', '{checksum}', 1700000000000)");
            }

            await Execute(connection, "INSERT INTO sp_audit_log (at_ms, actor_kind, actor_id, action, target, detail) VALUES (1700000000000, 'system', 'legacy', 'legacy.imported', 'acme', 'written by the previous version')");
        }

        using var host = new PlatformFactory(dataPath: data.Path, postgres: postgres);
        using var admin = host.CreateClient(await host.Users.AdminTokenAsync());
        var audit = await admin.GetStringAsync("/api/admin/audit?action=legacy.imported");
        Assert.Contains("written by the previous version", audit, StringComparison.Ordinal);

        var status = await Ctl.OkAsync(host, ["status", "--data-path", data.Path, .. postgres is null ? Array.Empty<string>() : ["--connection-string", postgres]]);
        Assert.Contains($"schema version {migrations[^1].Version}", status, StringComparison.Ordinal);
        Assert.NotEqual(previous, migrations[^1].Version);

        // What the newest migration added works (the read model of its module answers).
        var ready = JsonDocument.Parse(await admin.GetStringAsync("/health/ready")).RootElement;
        Assert.NotEqual("Unhealthy", ready.GetProperty("status").GetString());
    }

    private static List<(int Version, string Name, string Sql)> Migrations(DatabaseProvider provider)
    {
        var assembly = typeof(IDatabase).Assembly;
        var prefix = $"Sql/{(provider == DatabaseProvider.PostgreSql ? "PostgreSql" : "Sqlite")}/";
        return [.. assembly.GetManifestResourceNames()
            .Where(r => r.StartsWith(prefix, StringComparison.Ordinal) && r.EndsWith(".sql", StringComparison.Ordinal))
            .Select(r =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(r)!, Encoding.UTF8);
                var name = r[prefix.Length..];
                return (int.Parse(name[..name.IndexOf('_', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), name, reader.ReadToEnd());
            })
            .OrderBy(m => m.Item1)];
    }

    private static async Task Execute(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
