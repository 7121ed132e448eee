namespace SupportPlatform.Storage.Contracts;

/// <summary>The few SQL differences between the back-ends that portable queries still need.</summary>
public static class SqlDialect
{
    /// <summary>
    /// "column IN list" for a Dapper list parameter named <paramref name="parameter"/>: Dapper expands <c>IN @x</c> into
    /// one parameter per item on SQLite, but passes an array to Npgsql, where the test must be <c>= ANY(@x)</c>.
    /// </summary>
    public static string InList(this IDatabase database, string parameter)
    {
        ArgumentNullException.ThrowIfNull(database);
        return database.Provider == DatabaseProvider.PostgreSql ? $"= ANY(@{parameter})" : $"IN @{parameter}";
    }

    /// <summary>Whether <paramref name="exception"/> is the back-end refusing a duplicate key (a unique or primary key).</summary>
    public static bool IsUniqueViolation(this IDatabase database, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(database);
        return exception switch
        {
            Npgsql.PostgresException postgres => postgres.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
            // SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE.
            Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 1555 or 2067,
            _ => false,
        };
    }
}
