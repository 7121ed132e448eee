namespace SupportPlatform.Core;

/// <summary>Where this node keeps its files; registered by the host, resolved to absolute paths.</summary>
/// <param name="DataPath">The data folder (embedded database, plugins, template overrides, attachments).</param>
public sealed record PlatformPaths(string DataPath)
{
    /// <summary>The folder of template overrides: a file here replaces the shipped template of the same name.</summary>
    public string TemplatesPath => Path.Combine(DataPath, "templates");
}
