using Microsoft.Extensions.Configuration;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Ctl;

/// <summary>
/// Where the installation is: the same keys as the host (<c>SupportPlatform:DataPath</c>, <c>:Database:*</c>,
/// <c>:Attachments:Path</c>, <c>:Plugins:Path</c>), read from the host's appsettings.json (<c>--config</c>, else
/// <c>SUPPORTCTL_CONFIG</c>, else <c>/etc/supportplatform/appsettings.json</c> when it exists) and the environment.
/// </summary>
internal sealed record CtlSettings(
    string DataPath, DatabaseSettings Database, string PluginsPath, string AttachmentsPath, string TemplatesPath, Uri Url, string? Token)
{
    public const string DefaultConfigFile = "/etc/supportplatform/appsettings.json";

    public static CtlSettings Load(GlobalArguments arguments, CtlConsole console)
    {
        var builder = new ConfigurationBuilder();
        var configFile = arguments.ConfigFile ?? console.Environment("SUPPORTCTL_CONFIG");
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new CtlException($"The configuration file '{configFile}' does not exist (--config or SUPPORTCTL_CONFIG).");
            }

            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }
        else if (console.UseSystemConfig && File.Exists(DefaultConfigFile))
        {
            configFile = DefaultConfigFile;
            builder.AddJsonFile(DefaultConfigFile, optional: true);
        }

        // The host's environment variables (SupportPlatform__Database__ConnectionString...) apply here too.
        builder.AddInMemoryCollection(console.EnvironmentVariables()
            .Where(pair => pair.Key.StartsWith("SupportPlatform__", StringComparison.OrdinalIgnoreCase) || pair.Key.Equals("Urls", StringComparison.OrdinalIgnoreCase))
            .Select(pair => new KeyValuePair<string, string?>(pair.Key.Replace("__", ":", StringComparison.Ordinal), pair.Value)));
        var configuration = builder.Build();
        var section = configuration.GetSection("SupportPlatform");

        // A relative path is taken from the folder the host runs in; for the tool that is the config file's folder.
        var baseFolder = configFile is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(configFile))!;
        var dataPath = Path.GetFullPath(arguments.DataPath ?? NonEmpty(section["DataPath"]) ?? "data", baseFolder);

        var connectionString = arguments.ConnectionString ?? NonEmpty(section["Database:ConnectionString"]);
        var providerText = NonEmpty(section["Database:Provider"]);
        DatabaseProvider provider;
        if (providerText is null || arguments.ConnectionString is not null)
        {
            provider = connectionString is null ? DatabaseProvider.Sqlite : DatabaseProvider.PostgreSql;
        }
        else if (!Enum.TryParse(providerText, ignoreCase: true, out provider) || !Enum.IsDefined(provider))
        {
            throw new CtlException($"SupportPlatform:Database:Provider is '{providerText}': expected 'Sqlite' or 'PostgreSql'.");
        }

        var database = provider == DatabaseProvider.Sqlite && connectionString is null
            ? new DatabaseSettings(DatabaseProvider.Sqlite, EmbeddedConnectionString(dataPath))
            : new DatabaseSettings(provider, connectionString ?? throw new CtlException(
                "SupportPlatform:Database:Provider is PostgreSql but SupportPlatform:Database:ConnectionString is empty."));

        var pluginsPath = NonEmpty(section["Plugins:Path"]) is { } plugins ? Path.GetFullPath(plugins, baseFolder) : Path.Combine(dataPath, "plugins");
        var attachmentsPath = NonEmpty(section["Attachments:Path"]) is { } attachments ? Path.GetFullPath(attachments, baseFolder) : Path.Combine(dataPath, "attachments");

        var url = arguments.Url ?? console.Environment("SUPPORTCTL_URL") ?? FirstUrl(configuration["Urls"]) ?? "http://localhost:5080";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CtlException($"The host's address '{url}' is not an http(s) URL (--url or SUPPORTCTL_URL, e.g. http://127.0.0.1:5080).");
        }

        var token = arguments.Token;
        if (token is null && arguments.TokenFile is { } tokenFile)
        {
            token = File.Exists(tokenFile)
                ? File.ReadAllText(tokenFile).Trim()
                : throw new CtlException($"The token file '{tokenFile}' does not exist (--token-file).");
        }

        token ??= NonEmpty(console.Environment("SUPPORTCTL_TOKEN"));
        return new CtlSettings(dataPath, database, pluginsPath, attachmentsPath, Path.Combine(dataPath, "templates"), uri, token);
    }

    /// <summary>The embedded database's connection string without creating the folder (DatabaseSettings.Embedded does).</summary>
    internal static string EmbeddedConnectionString(string dataPath) => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataPath, DatabaseSettings.EmbeddedFileName),
        Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate,
        ForeignKeys = true,
        DefaultTimeout = 30,
    }.ToString();

    internal string EmbeddedDatabaseFile => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(Database.ConnectionString).DataSource;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // "http://0.0.0.0:8080;http://[::]:8080" -> "http://127.0.0.1:8080": the tool runs on the host's machine.
    private static string? FirstUrl(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return first?.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
    }
}

/// <summary>The options every command takes.</summary>
internal sealed record GlobalArguments(string? ConfigFile, string? DataPath, string? ConnectionString, string? Url, string? Token, string? TokenFile);

/// <summary>A problem the user can fix: printed without a stack trace.</summary>
internal sealed class CtlException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
