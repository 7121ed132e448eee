using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Ctl.Tests;

/// <summary>
/// <c>supportctl restore</c> refuses while a host runs on the install (the built host as a real process), and not after
/// it stopped or was killed with -9; a host does not start while a restore holds the install.
/// </summary>
public sealed class RestoreHostLockTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public async Task Restore_RefusedWhileTheHostRuns_AcceptedAfterItStopsOrIsKilled(DatabaseProvider provider)
    {
        var database = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("hostlock") : null;
        using var data = new TempDirectory("sp-hostlock-");
        using var archiveFolder = new TempDirectory("sp-hostlock-archive-");
        var archive = Path.Combine(archiveFolder.Path, "backup.tar.gz");
        string[] install = ["--data-path", data.Path, .. database is null ? [] : new[] { "--connection-string", database }];
        var environment = HostProcess.Environment(data.Path, database);

        await using (var host = HostProcess.Start(environment))
        {
            await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
            await Ctl.OkAsync(null, ["backup", archive, .. install]);

            var refused = await Ctl.RunAsync(null, ["restore", archive, .. install]);
            Assert.Equal(1, refused.Code);
            Assert.Contains("The host is running", refused.Error, StringComparison.Ordinal);
            Assert.Contains("systemctl stop supportplatform", refused.Error, StringComparison.Ordinal);
            Assert.Contains(HostLock.FileName, refused.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("[3/4]", refused.Error, StringComparison.Ordinal); // refused before anything was written
            if (database is not null)
            {
                // From another machine of the cluster (its own data folder), the database's lock shows the host.
                using var otherNode = new TempDirectory("sp-hostlock-node2-");
                var elsewhere = await Ctl.RunAsync(null, ["restore", archive, "--data-path", otherNode.Path, "--connection-string", database]);
                Assert.Equal(1, elsewhere.Code);
                Assert.Contains("connected to the database", elsewhere.Error, StringComparison.Ordinal);
                Assert.Contains("systemctl stop supportplatform", elsewhere.Error, StringComparison.Ordinal);

                // The database cuts the host's lock connection (as a database restart does): the host takes the lock again.
                await using (var admin = new Npgsql.NpgsqlConnection(database))
                {
                    await admin.OpenAsync();
                    await using var terminate = admin.CreateCommand();
                    terminate.CommandText = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'SupportPlatform host lock' AND datname = current_database()";
                    Assert.Equal(1L, await terminate.ExecuteScalarAsync());
                }

                var deadline = DateTime.UtcNow.AddSeconds(45);
                var lockedAgain = false;
                while (!lockedAgain && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(1000);
                    // Without --force nothing is written either way: the database is not empty.
                    var attempt = await Ctl.RunAsync(null, ["restore", archive, "--data-path", otherNode.Path, "--connection-string", database]);
                    Assert.Equal(1, attempt.Code);
                    lockedAgain = attempt.Error.Contains("connected to the database", StringComparison.Ordinal);
                }

                Assert.True(lockedAgain, "the host did not take the database lock again after its connection was cut:\n" + host.Output);
            }

            Assert.False(host.HasExited);
            await host.StopAsync();
        }

        // Stopped: what is left is only that the install is not empty; --force replaces it.
        var stopped = await Ctl.RunAsync(null, ["restore", archive, .. install]);
        Assert.Equal(1, stopped.Code);
        Assert.Contains("not empty", stopped.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("The host is running", stopped.Error, StringComparison.Ordinal);

        // While the restore holds the install, a host refuses to start and says why.
        await using (var restoring = (await HostLock.TryAcquireExclusiveAsync(data.Path, Settings(provider, data.Path, database), CancellationToken.None)).Lock)
        {
            Assert.NotNull(restoring);
            await using var blocked = HostProcess.Start(environment);
            Assert.Equal(75, await blocked.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("locked by a running 'supportctl restore'", blocked.Output, StringComparison.Ordinal);
        }

        await Ctl.OkAsync(null, ["restore", archive, "--force", .. install]);

        // kill -9: the operating system and the database drop the locks with the process; the lock file stays behind.
        await using (var host = HostProcess.Start(environment))
        {
            await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
            host.Kill();
            await host.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.True(File.Exists(Path.Combine(data.Path, HostLock.FileName)));
        var killed = await Ctl.RunAsync(null, ["restore", archive, .. install]);
        Assert.Equal(1, killed.Code);
        Assert.Contains("not empty", killed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("The host is running", killed.Error, StringComparison.Ordinal);
        await Ctl.OkAsync(null, ["restore", archive, "--force", .. install]);
    }

    private static DatabaseSettings Settings(DatabaseProvider provider, string dataPath, string? database) =>
        provider == DatabaseProvider.PostgreSql ? new DatabaseSettings(DatabaseProvider.PostgreSql, database!) : DatabaseSettings.Embedded(dataPath);
}
