using Microsoft.Data.Sqlite;
using Npgsql;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Data;

/// <summary>Normalises the configured connection string; the same result is given to Orleans and to <see cref="IDatabase"/>.</summary>
internal static class ConnectionStrings
{
    public static string Normalize(DatabaseSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.ConnectionString);
        switch (settings.Provider)
        {
            case DatabaseProvider.PostgreSql:
            {
                var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
                // Orleans passes DateTime values; a UTC session time zone keeps timestamptz conversions exact.
                if (string.IsNullOrEmpty(builder.Timezone))
                {
                    builder.Timezone = "UTC";
                }

                return builder.ConnectionString;
            }

            case DatabaseProvider.Sqlite:
            {
                var builder = new SqliteConnectionStringBuilder(settings.ConnectionString);
                if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:")
                {
                    throw new ArgumentException("The SQLite connection string needs a database file (Data Source=...).", nameof(settings));
                }

                builder.ForeignKeys = true;
                return builder.ToString();
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Provider, "Unknown database provider.");
        }
    }
}
