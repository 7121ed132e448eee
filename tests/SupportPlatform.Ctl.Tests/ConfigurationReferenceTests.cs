using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Xml.Linq;

namespace SupportPlatform.Ctl.Tests;

/// <summary>
/// docs/configuration.md is generated from the options classes (every SupportPlatform type with a <c>SectionName</c> or
/// <c>Section</c> constant): keys, defaults from a new instance, descriptions from the XML docs. The test fails when the
/// committed file differs; <c>SP_UPDATE_DOCS=1 scripts/test --filter ConfigurationReference</c> rewrites it.
/// </summary>
public sealed class ConfigurationReferenceTests
{
    private static readonly string Repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    [Fact]
    public void ConfigurationReference_MatchesTheOptionsClasses()
    {
        var generated = Generate();
        var path = Path.Combine(Repo, "docs", "configuration.md");
        if (Environment.GetEnvironmentVariable("SP_UPDATE_DOCS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, generated);
        }

        Assert.True(File.Exists(path) && File.ReadAllText(path).ReplaceLineEndings("\n") == generated,
            "docs/configuration.md is out of date with the options classes: run SP_UPDATE_DOCS=1 scripts/test --filter ConfigurationReference and commit it.");
    }

    /// <summary>
    /// Types that look like settings but are not read from the host's configuration, each with the reason. Anything else
    /// named *Options or *Settings, or read from configuration by a static parser, must name its section.
    /// </summary>
    private static readonly Dictionary<string, string> NotHostSettings = new(StringComparer.Ordinal)
    {
        ["SupportPlatform.Email.Outbox.SmtpOptions"] = "the Smtp member of EmailOptions: listed under SupportPlatform:Email:Smtp",
        ["SupportPlatform.Email.Outbox.SmtpOAuth2Options"] = "the OAuth2 member of SmtpOptions: listed under SupportPlatform:Email:Smtp:OAuth2",
        ["SupportPlatform.Sdk.Mail.OAuth2ClientSettings"] = "an SDK type callers fill from their own settings (the IMAP plugin's mailbox oauth2, the email module's Smtp:OAuth2)",
        ["SupportPlatform.Identity.BootstrapAdminSettings"] = "part of IdentitySettings (SupportPlatform:Identity:BootstrapAdmin), read by its parser",
        ["SupportPlatform.Identity.OidcSettings"] = "part of IdentitySettings (SupportPlatform:Identity:Oidc), read by its parser",
        ["SupportPlatform.Reports.Data.ReportSettings"] = "an account's report schedule, kept in the database",
        ["SupportPlatform.Storage.Contracts.DatabaseSettings"] = "SupportPlatform:Database, read by PlatformConfiguration",
        ["SupportPlatform.Storage.Contracts.ClusterSettings"] = "SupportPlatform:Cluster, read by PlatformConfiguration",
    };

    [Fact]
    public void ConfigurationReference_ListsEveryOptionsClass()
    {
        var missing = ProductTypes()
            .Where(t => SectionOf(t) is null && LooksLikeSettings(t) && !NotHostSettings.ContainsKey(t.FullName!))
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(missing.Count == 0,
            "These classes look like settings (named *Options or *Settings, or read from IConfiguration by a static method) but name no " +
            "configuration section, so docs/configuration.md does not list them: " + string.Join(", ", missing) +
            ". Give each a `public const string Section = \"SupportPlatform:...\"` (and regenerate the docs), or, when it is not read " +
            "from the host's configuration, add it to NotHostSettings in ConfigurationReferenceTests with the reason.");
        var gone = NotHostSettings.Keys.Where(name => !ProductTypes().Any(t => t.FullName == name)).ToList();
        Assert.True(gone.Count == 0, "NotHostSettings names classes that no longer exist: " + string.Join(", ", gone));
    }

    private static bool LooksLikeSettings(Type type) =>
        !type.IsNested && !type.IsInterface && !type.IsEnum && !type.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), false)
        && (type.Name.EndsWith("Options", StringComparison.Ordinal) || type.Name.EndsWith("Settings", StringComparison.Ordinal)
            || type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Any(m => m.ReturnType == type && m.GetParameters().Any(p => typeof(Microsoft.Extensions.Configuration.IConfiguration).IsAssignableFrom(p.ParameterType))));

    // The product's assemblies beside the tests (modules are found by scanning, so the host does not reference them all in IL).
    private static IEnumerable<Type> ProductTypes() => Directory.GetFiles(AppContext.BaseDirectory, "SupportPlatform.*.dll")
        .Select(Path.GetFileNameWithoutExtension)
        .Where(n => !n!.Contains(".Tests", StringComparison.Ordinal) && !n.Contains(".Testing", StringComparison.Ordinal)
            && !n.Contains("PluginFixtures", StringComparison.Ordinal) && !n.Contains(".Ctl", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .Select(n => Assembly.Load(n!))
        .SelectMany(a => a.GetTypes());

    internal static string Generate()
    {
        var text = new StringBuilder();
        text.Append("""
            # Configuration reference

            Generated from the options classes by `tests/SupportPlatform.Ctl.Tests/ConfigurationReferenceTests.cs`; do not edit by
            hand (`SP_UPDATE_DOCS=1 scripts/test --filter ConfigurationReference` regenerates it, and the test fails when it
            drifts). Settings come from `appsettings.json` (in the `.deb`: `/etc/supportplatform/appsettings.json`) and environment
            variables (`:` written `__`, e.g. `SupportPlatform__Metrics__Token`). Sections read by their own parsers (marked
            below) are validated at start with a message naming the key; their keys are described in the README.

            """.ReplaceLineEndings("\n"));
        var types = ProductTypes()
            .Select(t => (Type: t, Section: SectionOf(t)))
            .Where(t => t.Section is not null && !t.Type.IsNested)
            .OrderBy(t => t.Section, StringComparer.Ordinal).ThenBy(t => t.Type.FullName, StringComparer.Ordinal)
            .ToList();
        foreach (var (type, section) in types)
        {
            text.Append('\n').Append("## `").Append(section).Append("`\n\n");
            var summary = Doc(type, "T:" + type.FullName);
            if (summary.Length > 0)
            {
                text.Append(summary).Append("\n\n");
            }

            var constructor = type.GetConstructor(Type.EmptyTypes);
            // A type that reads its section itself (a static method taking the configuration) names its keys its own way.
            var ownParser = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Any(m => m.GetParameters().Any(p => typeof(Microsoft.Extensions.Configuration.IConfiguration).IsAssignableFrom(p.ParameterType)));
            if (constructor is null || ownParser)
            {
                text.Append("Read by its own parser (`").Append(type.Name).Append("`); see the README for its keys.\n");
                continue;
            }

            text.Append("| key | default | meaning |\n|---|---|---|\n");
            Rows(text, section!, type, constructor.Invoke(null), depth: 0);
        }

        return text.ToString();
    }

    private static void Rows(StringBuilder text, string prefix, Type type, object instance, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0).OrderBy(p => p.MetadataToken))
        {
            var key = $"{prefix}:{property.Name}";
            var value = property.GetValue(instance);
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (depth < 3 && propertyType.IsClass && propertyType != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(propertyType) && value is not null)
            {
                Rows(text, key, propertyType, value, depth + 1);
                continue;
            }

            text.Append("| `").Append(key).Append("` | ").Append(Format(value)).Append(" | ")
                .Append(Doc(type, $"P:{type.FullName}.{property.Name}").Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "empty",
        string s when s.Length == 0 => "empty",
        string s => $"`{s}`",
        bool b => b ? "`true`" : "`false`",
        TimeSpan t => $"`{t.ToString("c", CultureInfo.InvariantCulture)}`",
        IEnumerable e => e.Cast<object?>().Any() ? $"`{string.Join(", ", e.Cast<object?>().Select(o => Convert.ToString(o, CultureInfo.InvariantCulture)))}`" : "empty",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        _ => $"`{value}`",
    };

    private static string? SectionOf(Type type)
    {
        var field = type.GetField("SectionName", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? type.GetField("Section", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static);
        return field is { IsLiteral: true } && field.GetRawConstantValue() is string s && s.StartsWith("SupportPlatform", StringComparison.Ordinal) ? s : null;
    }

    private static readonly Dictionary<Assembly, XDocument?> Docs = [];

    private static string Doc(Type type, string member)
    {
        XDocument? document;
        lock (Docs)
        {
            if (!Docs.TryGetValue(type.Assembly, out document))
            {
                var file = Path.ChangeExtension(type.Assembly.Location, ".xml");
                document = File.Exists(file) ? XDocument.Load(file) : null;
                Docs[type.Assembly] = document;
            }
        }

        var summary = document?.Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == member)?.Element("summary");
        if (summary is null)
        {
            return string.Empty;
        }

        var parts = summary.Nodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "c" or "code" } e => $"`{e.Value}`",
            XElement { Name.LocalName: "see" } e => $"`{((string?)e.Attribute("cref") ?? (string?)e.Attribute("langword") ?? e.Value).Split('.', ':').Last()}`",
            XElement e => e.Value,
            _ => string.Empty,
        });
        return string.Join(' ', string.Concat(parts).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
