namespace SupportPlatform.Core;

/// <summary>
/// Thrown at start when settings are invalid; the host prints the message (every problem, each naming its key, the
/// value found and what is expected) and exits with code 78. Modules throw it from <see cref="IModule.AddServices"/>.
/// </summary>
public class PlatformSettingsException(IReadOnlyList<string> problems)
    : Exception("The configuration is not valid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    /// <summary>Each problem, naming its configuration key.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
