using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Monitoring.Tests;

public sealed class SqliteDashboardQueryTests() : DashboardQueryTests(DatabaseProvider.Sqlite);

public sealed class PostgreSqlDashboardQueryTests() : DashboardQueryTests(DatabaseProvider.PostgreSql);

/// <summary>
/// The dashboard costs a constant number of queries whatever the number of systems (it used to cost four per system):
/// every command the host creates while answering <c>GET /api/monitoring/dashboard</c> is counted, through a counting
/// wrapper around the real database.
/// </summary>
public abstract class DashboardQueryTests(DatabaseProvider provider) : IAsyncLifetime
{
    private readonly CommandCounter counter = new();
    private PlatformFactory factory = null!;

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("dashboard") : null;
        factory = new PlatformFactory(postgres: postgres, services: services =>
        {
            services.AddHttpContextAccessor();
            var original = services.Last(d => d.ServiceType == typeof(IDatabase));
            services.Remove(original);
            services.AddSingleton<IDatabase>(sp => new CountingDatabase(
                original.ImplementationInstance as IDatabase ?? (IDatabase)original.ImplementationFactory!(sp),
                sp.GetRequiredService<IHttpContextAccessor>(),
                counter));
        });
    }

    public Task DisposeAsync()
    {
        factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Dashboard_ConstantQueries_For3Or15Systems_AndTheSameFigures()
    {
        using var staff = factory.CreateClient(await factory.Users.StaffTokenAsync("senior", "sam", "Sam Senior"));
        await staff.NewSystemAsync("nplus-mon", "nplus-0", "h0.nplus.example");
        await (await staff.PutAsJsonAsync("/api/monitoring/accounts/nplus-mon/rules", new { uptimeTarget = 99.5 })).Json();
        await AddSystemsAsync(staff, 1, 3);
        await staff.SubmitAsync(Api.Alert("h1.nplus.example", "critical", "d1", DateTimeOffset.UtcNow.AddMinutes(-20)));
        await (await staff.PostAsJsonAsync("/api/monitoring/systems/nplus-2/maintenance",
            new { startsAt = DateTimeOffset.UtcNow.AddDays(1), endsAt = DateTimeOffset.UtcNow.AddDays(1).AddHours(1), reason = "Patch night" })).Json();

        var few = await CountAsync(staff);
        await AddSystemsAsync(staff, 3, 15);
        var many = await CountAsync(staff);

        Assert.Equal(3, few.Systems);
        Assert.Equal(15, many.Systems);
        // Systems, account rules, three history queries, open incidents (none counted would mean the counter is blind).
        Assert.True(many.Commands == few.Commands && few.Commands is >= 4 and <= 6, $"3 systems: {few.Commands} queries, 15 systems: {many.Commands} queries");

        // The batched figures are the ones the per-system endpoints give.
        var dashboard = await staff.GetJson("/api/monitoring/dashboard?accountId=nplus-mon");
        var down = dashboard["systems"]!.AsArray().Single(s => (string)s!["id"]! == "nplus-1")!;
        Assert.Equal("critical", (string)down["status"]!);
        Assert.Equal(99.5, (double)down["uptime"]!["target"]!);
        var uptime = await staff.GetJson("/api/monitoring/systems/nplus-1/uptime");
        // Down until now, so read a moment apart the figures differ by that moment only.
        Assert.InRange((double)down["uptime"]!["last7Days"]!["downSeconds"]! - (double)uptime["last7Days"]!["downSeconds"]!, -60, 0);
        Assert.True((double)down["uptime"]!["last7Days"]!["downSeconds"]! > 0);
        var patched = dashboard["systems"]!.AsArray().Single(s => (string)s!["id"]! == "nplus-2")!;
        Assert.Equal("Patch night", (string)patched["maintenance"]![0]!["reason"]!);
        Assert.Empty(dashboard["systems"]!.AsArray().Single(s => (string)s!["id"]! == "nplus-0")!["maintenance"]!.AsArray());
    }

    private static async Task AddSystemsAsync(HttpClient staff, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            await (await staff.PutAsJsonAsync($"/api/monitoring/systems/nplus-{i}", new { accountId = "nplus-mon", hostNames = new[] { $"h{i}.nplus.example" } })).Json();
        }
    }

    /// <summary>Commands run for one dashboard request (after a first one, so grain activations are not counted).</summary>
    private async Task<(int Systems, int Commands)> CountAsync(HttpClient staff)
    {
        await staff.GetJson("/api/monitoring/dashboard?accountId=nplus-mon");
        counter.Reset();
        var dashboard = await staff.GetJson("/api/monitoring/dashboard?accountId=nplus-mon");
        return (dashboard["systems"]!.AsArray().Count, counter.Count);
    }

    private sealed class CommandCounter
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public void Reset() => Interlocked.Exchange(ref count, 0);

        public void Add() => Interlocked.Increment(ref count);
    }

    /// <summary>The real database; connections opened while answering the dashboard count the commands they create.</summary>
    private sealed class CountingDatabase(IDatabase inner, IHttpContextAccessor http, CommandCounter counter) : IDatabase
    {
        public DatabaseProvider Provider => inner.Provider;

        public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
        {
            var connection = await inner.OpenConnectionAsync(cancellationToken);
            if (http.HttpContext?.Request.Path.StartsWithSegments("/api/monitoring/dashboard") != true)
            {
                return connection;
            }

            // Dapper picks provider features (arrays for PostgreSQL's "= ANY(@ids)") by the connection's type name.
            return inner.Provider == DatabaseProvider.PostgreSql ? new NpgsqlConnection(connection, counter) : new CountingConnection(connection, counter);
        }
    }

    /// <summary>A <see cref="CountingConnection"/> that Dapper treats as PostgreSQL's (see above).</summary>
    private sealed class NpgsqlConnection(DbConnection inner, CommandCounter counter) : CountingConnection(inner, counter);

    private class CountingConnection(DbConnection inner, CommandCounter counter) : DbConnection
    {
        [AllowNull]
        public override string ConnectionString { get => inner.ConnectionString; set => inner.ConnectionString = value; }

        public override string Database => inner.Database;

        public override string DataSource => inner.DataSource;

        public override string ServerVersion => inner.ServerVersion;

        public override ConnectionState State => inner.State;

        public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);

        public override void Close() => inner.Close();

        public override void Open() => inner.Open();

        public override Task OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }

        protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => inner.BeginTransaction(isolationLevel);

        protected override DbCommand CreateDbCommand()
        {
            counter.Add();
            return inner.CreateCommand();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
