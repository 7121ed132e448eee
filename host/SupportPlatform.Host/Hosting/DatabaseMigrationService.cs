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
        // The migrator logs each migration it applies; this line only confirms the version the node runs on.
        var result = await migrator.MigrateAsync(cancellationToken);
        logger.LogInformation("Database schema at version {Version}", result.ToVersion);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
