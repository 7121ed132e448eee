using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace SupportPlatform.Testing;

/// <summary>
/// A process-wide, shared, throwaway PostgreSQL server for tests.
/// </summary>
/// <remarks>
/// <para>When the environment variable <c>SP_TEST_POSTGRES</c> holds an Npgsql connection string to a superuser, that
/// server is used. Otherwise the server binaries under <c>/usr/lib/postgresql/*/bin</c> (Debian package
/// <c>postgresql</c>) initialise a cluster in a temp folder, which is started on a free loopback port and is stopped
/// (<c>pg_ctl stop -m immediate</c>) and deleted when the process exits. When running as root, the server runs as the
/// <c>postgres</c> user (PostgreSQL refuses to run as root).</para>
/// <para>Usage: <c>var connectionString = await PostgresServer.Shared.CreateDatabaseAsync("tickets");</c> gives a fresh,
/// empty, uniquely named database per call.</para>
/// </remarks>
public sealed class PostgresServer
{
    /// <summary>Environment variable naming an existing server (Npgsql connection string of a superuser).</summary>
    public const string EnvironmentVariable = "SP_TEST_POSTGRES";

    private const string BinariesRoot = "/usr/lib/postgresql";
    private const string NotFoundMessage =
        "PostgreSQL server binaries not found under /usr/lib/postgresql: run scripts/test, which installs the Debian package postgresql, or set SP_TEST_POSTGRES";

    private static readonly Lazy<PostgresServer> LazyShared = new(() => new PostgresServer(durable: false), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Lazy<Task<string>> _adminConnectionString;
    private int _databaseCounter;

    private readonly bool _own;
    private (string Bin, string Data, string Folder, string Options, bool AsPostgres)? _control;

    private PostgresServer(bool durable, bool own = false)
    {
        _own = own;
        _adminConnectionString = new Lazy<Task<string>>(() => Task.Run(() => StartAsync(durable)), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The server shared by every test in this process; it starts on first use.</summary>
    public static PostgresServer Shared => LazyShared.Value;

    /// <summary>
    /// A server of its own with PostgreSQL's durable defaults (fsync, full_page_writes and synchronous_commit on), for
    /// benchmarks whose baseline must be durable writes. It never uses <c>SP_TEST_POSTGRES</c>, starts on first use and
    /// is removed when the process exits, like <see cref="Shared"/>.
    /// </summary>
    public static PostgresServer CreateDurable() => new(durable: true);

    /// <summary>
    /// A throwaway server of its own (never <c>SP_TEST_POSTGRES</c>) that a test may stop and start again
    /// (<see cref="StopAsync"/>, <see cref="StartAgainAsync"/>) without disturbing other tests. It keeps PostgreSQL's
    /// durable defaults, like <see cref="CreateDurable"/>: with <c>synchronous_commit=off</c> an immediate stop (a crash
    /// of the database) loses the last commits, which a real server does not.
    /// </summary>
    public static PostgresServer CreateOwn() => new(durable: true, own: true);

    /// <summary>Stops the server at once (<c>pg_ctl stop -m immediate</c>: connections are cut, as in a crash of the database).</summary>
    public async Task StopAsync()
    {
        await GetAdminConnectionStringAsync().ConfigureAwait(false);
        var control = _control ?? throw new InvalidOperationException("Only a server of this process (CreateOwn) can be stopped.");
        await RunAsync(Path.Combine(control.Bin, "pg_ctl"), ["-D", control.Data, "-m", "immediate", "-w", "stop"], control.AsPostgres).ConfigureAwait(false);
    }

    /// <summary>Starts a server stopped by <see cref="StopAsync"/> again, on the same port with the same data.</summary>
    public async Task StartAgainAsync()
    {
        var control = _control ?? throw new InvalidOperationException("Only a server of this process (CreateOwn) can be started again.");
        await RunAsync(Path.Combine(control.Bin, "pg_ctl"),
            ["-D", control.Data, "-l", Path.Combine(control.Folder, "server.log"), "-w", "-t", "60", "-o", control.Options, "start"],
            control.AsPostgres).ConfigureAwait(false);
    }

    /// <summary>Connection string of a superuser to the <c>postgres</c> database; starts the server if needed.</summary>
    public Task<string> GetAdminConnectionStringAsync() => _adminConnectionString.Value;

    /// <summary>
    /// Creates a fresh, uniquely named database and returns its connection string (same server and credentials).
    /// <paramref name="prefix"/> (letters, digits, underscores) starts the database name, to find it when debugging.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var admin = await GetAdminConnectionStringAsync().ConfigureAwait(false);
        var name = BuildDatabaseName(prefix);
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8';";
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return builder.ConnectionString;
    }

    private string BuildDatabaseName(string? prefix)
    {
        var clean = new StringBuilder();
        foreach (var c in (prefix ?? "sp").ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                clean.Append(c);
            }
        }

        if (clean.Length == 0 || !char.IsAsciiLetter(clean[0]))
        {
            clean.Insert(0, "sp_");
        }

        var counter = Interlocked.Increment(ref _databaseCounter);
        var suffix = $"_{Environment.ProcessId}_{counter}_{Guid.NewGuid().ToString("N")[..8]}";
        var head = clean.ToString();
        return head.Length + suffix.Length > 63 ? head[..(63 - suffix.Length)] + suffix : head + suffix;
    }

    private async Task<string> StartAsync(bool durable)
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!durable && !_own && !string.IsNullOrWhiteSpace(external))
        {
            return external;
        }

        var bin = FindBinaries() ?? throw new InvalidOperationException(NotFoundMessage);
        var runAsPostgres = LocalSystem.IsRoot();
        // The postgres user must be able to reach the folder: root's TMPDIR may not be traversable, /tmp always is.
        var baseFolder = runAsPostgres ? "/tmp" : Path.GetTempPath();
        CleanUpOrphans(bin, baseFolder, runAsPostgres);

        var folder = Path.Combine(baseFolder, "sp-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var data = Path.Combine(folder, "data");
        try
        {
            File.WriteAllText(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            if (runAsPostgres)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", folder], asPostgres: false).ConfigureAwait(false);
            }

            // --no-sync / fsync=off / full_page_writes=off / synchronous_commit=off: this cluster is thrown away at the end
            // of the test run, so durability against an OS crash is worthless here and start-up and commits get much faster.
            // A durable server (benchmarks) keeps PostgreSQL's defaults for all three; initdb's --no-sync only skips
            // flushing the template files once.
            await RunAsync(Path.Combine(bin, "initdb"),
                ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                runAsPostgres).ConfigureAwait(false);

            var port = LocalSystem.FreeLoopbackPort();
            var options = string.Join(' ',
                $"-p {port}",
                "-c listen_addresses=127.0.0.1",
                $"-c unix_socket_directories='{folder}'",
                durable ? "-c fsync=on" : "-c fsync=off",
                durable ? "-c full_page_writes=on" : "-c full_page_writes=off",
                durable ? "-c synchronous_commit=on" : "-c synchronous_commit=off",
                "-c max_connections=300",
                "-c shared_buffers=64MB");
            await RunAsync(Path.Combine(bin, "pg_ctl"),
                ["-D", data, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60", "-o", options, "start"],
                runAsPostgres).ConfigureAwait(false);
            _control = (bin, data, folder, options, runAsPostgres);

            // Clean-up at exit, twice over. The test runner may kill the test process right after the run (vstest does so
            // when the test host does not exit promptly), which can cut a ProcessExit handler short, and a killed process
            // runs none. So a detached reaper process waits for this process to end, then stops the server and deletes
            // the folder; the ProcessExit handler only sends the immediate-shutdown signal, which takes no time.
            StartReaper(bin, folder, data, runAsPostgres);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => SignalImmediateShutdown(data);

            var builder = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = port,
                Username = "postgres",
                Database = "postgres",
                // Many short-lived test databases: do not keep idle connections for long.
                ConnectionIdleLifetime = 10,
                Timeout = 30,
            };
            return builder.ConnectionString;
        }
        catch
        {
            Stop(bin, folder, data, runAsPostgres);
            throw;
        }
    }

    private static void StartReaper(string bin, string folder, string data, bool runAsPostgres)
    {
        var pgCtl = (runAsPostgres ? "runuser -u postgres -- " : string.Empty) + Quote(Path.Combine(bin, "pg_ctl"));
        var script =
            "exec </dev/null >/dev/null 2>&1; " +
            $"while kill -0 {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}; do sleep 1; done; " +
            $"if [ -f {Quote(Path.Combine(data, "postmaster.pid"))} ]; then {pgCtl} -D {Quote(data)} -m immediate -w stop; fi; " +
            $"rm -rf {Quote(folder)}";
        var start = new ProcessStartInfo
        {
            FileName = "setsid",
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var reaper = Process.Start(start) ?? throw new InvalidOperationException("Could not start the PostgreSQL clean-up process.");
        reaper.StandardInput.Close();
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>SIGQUIT to the postmaster = pg_ctl stop -m immediate, without starting a process.</summary>
    private static void SignalImmediateShutdown(string data)
    {
        try
        {
            var pidFile = Path.Combine(data, "postmaster.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && pid > 0)
            {
                _ = Kill(pid, SigQuit);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private const int SigQuit = 3;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static string? FindBinaries()
    {
        if (!Directory.Exists(BinariesRoot))
        {
            return null;
        }

        return Directory.GetDirectories(BinariesRoot)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    /// <summary>Stops and deletes clusters left behind by test processes that were killed (their owner pid is gone).</summary>
    private static void CleanUpOrphans(string bin, string baseFolder, bool runAsPostgres)
    {
        foreach (var folder in Directory.GetDirectories(baseFolder, "sp-pg-*"))
        {
            try
            {
                var ownerFile = Path.Combine(folder, "owner.pid");
                if (!File.Exists(ownerFile) || !int.TryParse(File.ReadAllText(ownerFile), out var owner) || LocalSystem.IsAlive(owner))
                {
                    continue;
                }

                Stop(bin, folder, Path.Combine(folder, "data"), runAsPostgres);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static void Stop(string bin, string folder, string data, bool runAsPostgres)
    {
        try
        {
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], runAsPostgres, throwOnError: false)
                    .GetAwaiter().GetResult();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static async Task RunAsync(string file, string[] arguments, bool asPostgres, bool throwOnError = true)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgres ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        // pg_ctl start redirects the server's output to its log file, so these pipes close when pg_ctl exits.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0 && throwOnError)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
        }
    }
}
