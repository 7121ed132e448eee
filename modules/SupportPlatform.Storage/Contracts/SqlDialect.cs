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
}
