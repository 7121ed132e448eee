using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Npgsql;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Ctl;

/// <summary>What a backup archive holds; <c>manifest.json</c>, the archive's last entry.</summary>
internal sealed record BackupManifest(
    string Format, int FormatVersion, DateTimeOffset CreatedAt, string ToolVersion, DatabaseProvider Provider, int SchemaVersion,
    string DatabaseEntry, IReadOnlyList<BackupFile> Files)
{
    public const string FormatName = "supportplatform-backup";
    public const string EntryName = "manifest.json";
}

/// <summary>One file in the archive: where it goes back to (<c>data/...</c>, <c>attachments/...</c>, <c>plugins/...</c>).</summary>
internal sealed record BackupFile(string Path, long Bytes, string Sha256);

/// <summary>
/// One <c>.tar.gz</c>: the database first (PostgreSQL: <c>pg_dump</c> custom format, one consistent snapshot while the
/// host runs; SQLite: the online backup API), then the data folder (attachments, templates, plugins, plugin data), then
/// the manifest with a SHA-256 of every entry. The database is taken before the files: attachments are written before
/// the rows that name them and never changed, so every file the database snapshot names is in the archive.
/// </summary>
internal sealed class Backup(CtlSettings settings, CtlConsole console)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly string[] EmbeddedDatabaseSuffixes = ["", "-wal", "-shm", "-journal"];

    /// <summary>The running hosts' lock file: never backed up, and not a sign of a used install.</summary>
    private string HostLockFile => Path.GetFullPath(Path.Combine(settings.DataPath, HostLock.FileName));

    public async Task<BackupManifest> CreateAsync(string archivePath, CancellationToken ct)
    {
        var staging = Directory.CreateTempSubdirectory("supportctl-backup-");
        try
        {
            console.Progress($"backup [1/3] database ({settings.Database.Provider})...");
            var stopwatch = Stopwatch.StartNew();
            var schemaVersion = await ReadSchemaVersionAsync(settings.Database, ct);
            var databaseEntry = settings.Database.Provider == DatabaseProvider.PostgreSql ? "database/postgresql.dump" : "database/supportplatform.db";
            var databaseFile = Path.Combine(staging.FullName, "database.bin");
            if (settings.Database.Provider == DatabaseProvider.PostgreSql)
            {
                await RunAsync(PostgresTool("pg_dump"), ["--format=custom", "--no-owner", "--no-privileges", "--file", databaseFile], settings.Database.ConnectionString, ct);
            }
            else
            {
                BackupSqlite(settings.Database.ConnectionString, databaseFile);
            }

            console.Progress($"backup [1/3] database: {Size(new FileInfo(databaseFile).Length)}, schema version {schemaVersion}, {stopwatch.Elapsed.TotalSeconds:0.0} s");

            var sources = FileSources().ToList();
            var total = sources.Sum(s => s.File.Length);
            console.Progress($"backup [2/3] files: {sources.Count} ({Size(total)}) from {settings.DataPath}");
            var tempArchive = archivePath + ".partial";
            var files = new List<BackupFile>();
            await using (var output = File.Create(tempArchive))
            await using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: false))
            {
                files.Add(await AddAsync(tar, databaseFile, databaseEntry, ct));
                long done = 0;
                var lastReport = Stopwatch.StartNew();
                foreach (var (entry, file) in sources)
                {
                    if (!file.Exists)
                    {
                        continue; // removed since the listing (a temporary file): nothing the database names
                    }

                    files.Add(await AddAsync(tar, file.FullName, entry, ct));
                    done += file.Length;
                    if (lastReport.Elapsed > TimeSpan.FromSeconds(2))
                    {
                        console.Progress($"backup [2/3] files: {files.Count - 1}/{sources.Count}, {Size(done)} of {Size(total)}");
                        lastReport.Restart();
                    }
                }

                var manifest = new BackupManifest(BackupManifest.FormatName, 1, DateTimeOffset.UtcNow, ToolVersion, settings.Database.Provider, schemaVersion, databaseEntry, files);
                var manifestFile = Path.Combine(staging.FullName, BackupManifest.EntryName);
                await File.WriteAllTextAsync(manifestFile, JsonSerializer.Serialize(manifest, Json), ct);
                await tar.WriteEntryAsync(manifestFile, BackupManifest.EntryName, ct);
                console.Progress($"backup [3/3] archive written");
                File.Move(tempArchive, archivePath, overwrite: true);
                return manifest;
            }
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Restores onto an empty database and data folder (a fresh machine); with <paramref name="force"/> replaces what is there.
    /// Every entry's checksum is verified before anything is written.
    /// </summary>
    public async Task<BackupManifest> RestoreAsync(string archivePath, bool force, CancellationToken ct)
    {
        if (!File.Exists(archivePath))
        {
            throw new CtlException($"The backup '{archivePath}' does not exist.");
        }

        // Held until the restore ends: no host starts meanwhile (it waits for nothing and says why).
        await using var hostLock = await StoppedHostLockAsync(force, ct);
        var staging = Directory.CreateTempSubdirectory("supportctl-restore-");
        try
        {
            console.Progress($"restore [1/4] reading {archivePath} ({Size(new FileInfo(archivePath).Length)})...");
            await ExtractAsync(archivePath, staging.FullName, ct);
            var manifestFile = Path.Combine(staging.FullName, BackupManifest.EntryName);
            var manifest = File.Exists(manifestFile) ? JsonSerializer.Deserialize<BackupManifest>(await File.ReadAllTextAsync(manifestFile, ct), Json) : null;
            if (manifest is null || manifest.Format != BackupManifest.FormatName)
            {
                throw new CtlException($"'{archivePath}' is not a SupportPlatform backup (no {BackupManifest.EntryName}); it may be cut short.");
            }

            if (manifest.FormatVersion > 1)
            {
                throw new CtlException($"'{archivePath}' was written by a newer supportctl (format {manifest.FormatVersion}); restore it with that version.");
            }

            if (manifest.Provider != settings.Database.Provider)
            {
                throw new CtlException($"The backup holds a {manifest.Provider} database but this installation is configured for {settings.Database.Provider}. " +
                    "Configure the same back-end (SupportPlatform:Database) before restoring.");
            }

            console.Progress($"restore [2/4] verifying {manifest.Files.Count} entries (backup of {manifest.CreatedAt:u}, schema version {manifest.SchemaVersion})...");
            foreach (var file in manifest.Files)
            {
                var path = Path.Combine(staging.FullName, file.Path);
                if (!File.Exists(path) || !string.Equals(await HashAsync(path, ct), file.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new CtlException($"The backup is damaged: '{file.Path}' is missing or its checksum does not match. Nothing was restored.");
                }
            }

            var targets = manifest.Files.Where(f => f.Path != manifest.DatabaseEntry).Select(f => (f, Target: TargetOf(f.Path))).ToList();
            if (!force)
            {
                await EnsureEmptyAsync(ct);
            }

            console.Progress($"restore [3/4] database ({manifest.Provider})...");
            var databaseFile = Path.Combine(staging.FullName, manifest.DatabaseEntry);
            if (manifest.Provider == DatabaseProvider.PostgreSql)
            {
                string[] clean = force ? ["--clean", "--if-exists"] : [];
                await RunAsync(PostgresTool("pg_restore"), [.. clean, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname", DatabaseName(settings.Database.ConnectionString), databaseFile], settings.Database.ConnectionString, ct);
                // The silos recorded in the snapshot are not running here: a restored cluster starts with no members
                // (the version row stays), so the first host does not wait on probes of machines that are gone.
                await using var connection = Open(settings.Database);
                await connection.OpenAsync(ct);
                await using var command = connection.CreateCommand();
                command.CommandText = "DELETE FROM OrleansMembershipTable";
                await command.ExecuteNonQueryAsync(ct);
            }
            else
            {
                var target = settings.EmbeddedDatabaseFile;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                SqliteConnection.ClearAllPools();
                foreach (var suffix in EmbeddedDatabaseSuffixes.Skip(1))
                {
                    File.Delete(target + suffix);
                }

                File.Copy(databaseFile, target + ".restoring", overwrite: true);
                File.Move(target + ".restoring", target, overwrite: true);
            }

            console.Progress($"restore [4/4] files: {targets.Count}...");
            foreach (var (file, target) in targets)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(Path.Combine(staging.FullName, file.Path), target, overwrite: true);
            }

            console.Progress("restore done: start the host; it migrates the schema if the backup is older than this version.");
            return manifest;
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    /// <summary>The newest applied migration (0 for an empty database).</summary>
    public static async Task<int> ReadSchemaVersionAsync(DatabaseSettings database, CancellationToken ct)
    {
        if (database.Provider == DatabaseProvider.Sqlite && new SqliteConnectionStringBuilder(database.ConnectionString).DataSource is { } file && !File.Exists(file))
        {
            throw new CtlException($"There is no database at {file}: check SupportPlatform:DataPath (--config, --data-path).");
        }

        await using var connection = Open(database);
        await connection.OpenAsync(ct);
        await using var exists = connection.CreateCommand();
        exists.CommandText = database.Provider == DatabaseProvider.PostgreSql
            ? "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sp_schema_migrations'"
            : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sp_schema_migrations'";
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM sp_schema_migrations";
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static System.Data.Common.DbConnection Open(DatabaseSettings database) => database.Provider == DatabaseProvider.PostgreSql
        ? new NpgsqlConnection(database.ConnectionString)
        : new SqliteConnection(database.ConnectionString);

    private static string ToolVersion => typeof(Backup).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private IEnumerable<(string Entry, FileInfo File)> FileSources()
    {
        var databaseFile = settings.Database.Provider == DatabaseProvider.Sqlite ? Path.GetFullPath(settings.EmbeddedDatabaseFile) : null;
        var excluded = databaseFile is null ? [] : EmbeddedDatabaseSuffixes.Select(s => databaseFile + s).ToHashSet(StringComparer.Ordinal);
        var roots = new List<(string Prefix, string Folder)> { ("data", settings.DataPath) };
        if (!IsInside(settings.AttachmentsPath, settings.DataPath))
        {
            roots.Add(("attachments", settings.AttachmentsPath));
        }

        if (!IsInside(settings.PluginsPath, settings.DataPath))
        {
            roots.Add(("plugins", settings.PluginsPath));
        }

        foreach (var (prefix, folder) in roots)
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                if (excluded.Contains(file.FullName) || file.FullName == HostLockFile || file.Name.EndsWith(".partial", StringComparison.Ordinal) || file.LinkTarget is not null)
                {
                    continue;
                }

                yield return ($"{prefix}/{Path.GetRelativePath(folder, file.FullName).Replace('\\', '/')}", file);
            }
        }
    }

    private string TargetOf(string entry)
    {
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var (prefix, rest) = slash < 0 ? (entry, string.Empty) : (entry[..slash], entry[(slash + 1)..]);
        var root = prefix switch
        {
            "data" => settings.DataPath,
            "attachments" => settings.AttachmentsPath,
            "plugins" => settings.PluginsPath,
            _ => throw new CtlException($"The backup has an entry '{entry}' outside data/, attachments/ and plugins/; it was not written by supportctl."),
        };
        var target = Path.GetFullPath(Path.Combine(root, rest));
        return IsInside(target, root) ? target : throw new CtlException($"The backup entry '{entry}' points outside {root}; refusing it.");
    }

    /// <summary>
    /// The exclusive <see cref="HostLock"/>: a restore under a running host would replace the database and files under
    /// its feet. A host that has just died (kill -9) may take a moment to be noticed by the database, so a held lock is
    /// tried again for a moment before the restore is refused.
    /// </summary>
    private async Task<HostLock?> StoppedHostLockAsync(bool force, CancellationToken ct)
    {
        string? heldBy = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
            }

            (var held, heldBy) = await HostLock.TryAcquireExclusiveAsync(settings.DataPath, settings.Database, ct);
            if (held is not null)
            {
                return held;
            }
        }

        if (!force)
        {
            throw new CtlException($"The host is running: {heldBy}. Stop it before restoring (systemctl stop supportplatform, on every " +
                "node of a cluster), or pass --force to restore under the running host anyway.");
        }

        console.Progress($"restore: warning: the host is running ({heldBy}); restoring anyway (--force). Restart it afterwards.");
        return null;
    }

    private async Task EnsureEmptyAsync(CancellationToken ct)
    {
        if (settings.Database.Provider == DatabaseProvider.Sqlite
            ? File.Exists(settings.EmbeddedDatabaseFile) && new FileInfo(settings.EmbeddedDatabaseFile).Length > 0
            : await CountTablesAsync(ct) > 0)
        {
            throw new CtlException("The database is not empty. Restore onto a fresh database (and stop the host), or pass --force to replace its contents.");
        }

        var embedded = settings.Database.Provider == DatabaseProvider.Sqlite ? settings.EmbeddedDatabaseFile : null;
        var dataFiles = Directory.Exists(settings.DataPath)
            ? Directory.EnumerateFiles(settings.DataPath, "*", SearchOption.AllDirectories)
                .Where(f => (embedded is null || !f.StartsWith(embedded, StringComparison.Ordinal)) && f != HostLockFile).Take(1).ToList()
            : [];
        if (dataFiles.Count > 0)
        {
            throw new CtlException($"The data folder {settings.DataPath} is not empty ({dataFiles[0]}). Restore onto a fresh data folder, or pass --force to overwrite.");
        }
    }

    private async Task<long> CountTablesAsync(CancellationToken ct)
    {
        await using var connection = Open(settings.Database);
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')";
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void BackupSqlite(string connectionString, string target)
    {
        // The online backup API copies a consistent snapshot while the host keeps writing (WAL readers do not block writers).
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        source.Open();
        using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target, Pooling = false }.ToString());
        destination.Open();
        source.BackupDatabase(destination);
    }

    private static async Task<BackupFile> AddAsync(TarWriter tar, string file, string entry, CancellationToken ct)
    {
        // Hash the bytes written: a file can only grow between hashing and copying if something rewrites it (templates
        // are replaced whole), so copy first into the archive from one open handle and hash the same handle.
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
        var length = stream.Length;
        stream.Position = 0;
        var tarEntry = new PaxTarEntry(TarEntryType.RegularFile, entry) { DataStream = new BoundedStream(stream, length) };
        await tar.WriteEntryAsync(tarEntry, ct);
        return new BackupFile(entry, length, hash);
    }

    private static async Task ExtractAsync(string archivePath, string folder, CancellationToken ct)
    {
        await using var input = File.OpenRead(archivePath);
        await using var gzip = new GZipStream(input, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        try
        {
            while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.EntryType != TarEntryType.RegularFile)
                {
                    continue;
                }

                var target = Path.GetFullPath(Path.Combine(folder, entry.Name));
                if (!IsInside(target, folder))
                {
                    throw new CtlException($"The backup entry '{entry.Name}' points outside the archive; refusing it.");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await entry.ExtractToFileAsync(target, overwrite: true, ct);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new CtlException($"'{archivePath}' cannot be read as a backup ({ex.Message}); it may be cut short or not a SupportPlatform backup.");
        }
    }

    private static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private static bool IsInside(string path, string folder)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(folder), Path.GetFullPath(path));
        return relative == "." || (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }

    /// <summary>pg_dump/pg_restore of the newest PostgreSQL installed (they read older servers), else from the PATH.</summary>
    internal static string PostgresTool(string name)
    {
        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0, Path: Path.Combine(d, "bin", name)))
                .Where(t => File.Exists(t.Path)).OrderByDescending(t => t.Version).Select(t => t.Path).FirstOrDefault()
            : null;
        return installed ?? name;
    }

    private static string DatabaseName(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return builder.Database ?? builder.Username ?? "postgres";
    }

    /// <summary>Runs a libpq tool with the Npgsql connection string's settings in PG* variables (the password never on the command line).</summary>
    private static async Task RunAsync(string tool, IReadOnlyList<string> arguments, string connectionString, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGHOST"] = builder.Host ?? "localhost";
        start.Environment["PGPORT"] = builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGDATABASE"] = builder.Database ?? builder.Username ?? "postgres";
        if (builder.Username is { } user)
        {
            start.Environment["PGUSER"] = user;
        }

        if (builder.Password is { } password)
        {
            start.Environment["PGPASSWORD"] = password;
        }

        start.Environment["PGSSLMODE"] = builder.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        };

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new CtlException($"{tool} could not be started ({ex.Message}). Install the PostgreSQL client tools: apt-get install postgresql-client.");
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(ct);
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                throw new CtlException($"{Path.GetFileName(tool)} failed (exit code {process.ExitCode}): {(await stderr).Trim()} {(await stdout).Trim()}".Trim());
            }
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes / (1024.0 * 1024):0.0} MiB",
    };

    /// <summary>Exposes only the first <c>length</c> bytes of a stream: the tar header already promised that size.</summary>
    private sealed class BoundedStream(Stream inner, long length) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => position; set => Seek(value, SeekOrigin.Begin); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, (int)Math.Min(count, length - position));
            position += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - position)], cancellationToken);
            position += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => position + offset,
                _ => length + offset,
            };
            inner.Position = position; // the inner stream starts at 0
            return position;
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
