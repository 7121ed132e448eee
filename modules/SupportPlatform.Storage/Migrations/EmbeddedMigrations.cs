using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Storage.Migrations;

/// <summary>One numbered SQL migration, e.g. <c>0002_read_model.sql</c>.</summary>
internal sealed record Migration(int Version, string Name, string ResourceName, string Sql)
{
    /// <summary>
    /// SHA-256 (hex) of the script with line endings normalised to LF, so that a checkout with CRLF
    /// line endings does not look like an edited migration.
    /// </summary>
    public string Checksum { get; } = Convert.ToHexStringLower(
        SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

/// <summary>Reads the migrations embedded as <c>Sql/&lt;Dialect&gt;/NNNN_name.sql</c>.</summary>
internal static class EmbeddedMigrations
{
    public static string DialectFolder(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.PostgreSql => "PostgreSql",
        DatabaseProvider.Sqlite => "Sqlite",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    public static IReadOnlyList<Migration> Load(DatabaseProvider provider)
    {
        var assembly = typeof(EmbeddedMigrations).Assembly;
        var prefix = $"Sql/{DialectFolder(provider)}/";
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[prefix.Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name.AsSpan(0, underscore), out var version) || version <= 0)
            {
                throw new InvalidOperationException($"Migration resource '{resource}' is not named NNNN_name.sql.");
            }

            migrations.Add(new Migration(version, name, resource, ReadResource(assembly, resource)));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
            {
                throw new InvalidOperationException(
                    $"Two migrations share version {migrations[i].Version}: {migrations[i - 1].Name} and {migrations[i].Name}.");
            }
        }

        return migrations;
    }

    private static string ReadResource(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource '{resource}' not found.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
