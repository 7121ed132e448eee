using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Host.Hosting;

/// <summary>
/// Brings the database schema up to date before anything else starts. Registered ahead of the Orleans silo,
/// whose ADO.NET providers read their queries from the schema at initialisation.
/// </summary>
internal sealed class DatabaseMigrationService(IDatabaseMigrator migrator, ILogger<DatabaseMigrationService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var result = await migrator.MigrateAsync(cancellationToken);
        if (result.Applied.Count > 0)
        {
            logger.LogInformation("Database schema migrated from version {From} to {To}: {Applied}",
                result.FromVersion, result.ToVersion, string.Join(", ", result.Applied));
        }
        else
        {
            logger.LogInformation("Database schema is up to date at version {Version}", result.ToVersion);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
