using System.Data.Common;
using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Tests.Infrastructure;

internal sealed record ColumnInfo(string Table, string Column, bool Nullable);

/// <summary>Reads tables and columns from the catalog of either back-end (names lower-cased: PostgreSQL folds them).</summary>
internal static class SchemaIntrospection
{
    public static async Task<IReadOnlyList<ColumnInfo>> ReadColumnsAsync(DbConnection connection, DatabaseProvider provider)
    {
        const string postgres = """
            SELECT table_name AS t, column_name AS c, is_nullable = 'YES' AS n
              FROM information_schema.columns
             WHERE table_schema = current_schema()
            """;
        const string sqlite = """
            SELECT m.name AS t, p.name AS c, (p."notnull" = 0 AND p.pk = 0) AS n
              FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
            """;
        var rows = await connection.QueryAsync(provider == DatabaseProvider.PostgreSql ? postgres : sqlite);
        return rows
            .Select(r => new ColumnInfo(((string)r.t).ToLowerInvariant(), ((string)r.c).ToLowerInvariant(), Convert.ToBoolean(r.n)))
            .OrderBy(c => c.Table, StringComparer.Ordinal).ThenBy(c => c.Column, StringComparer.Ordinal)
            .ToList();
    }
}
