namespace SupportPlatform.Sdk;

/// <summary>
/// The version of the plugin contract. A plugin loads when its major version equals the host's and
/// the host's minor version is at least the plugin's (minor versions only add to the contract).
/// </summary>
/// <remarks>
/// <see cref="Major"/> and <see cref="Minor"/> are generated from <c>build/SupportPlatform.Sdk.props</c>, the
/// single source of truth that also sets this assembly's version (<c>Major.Minor.0.0</c>) and the
/// <c>sdkVersion</c> written into every plugin's <c>plugin.json</c>.
/// </remarks>
public static partial class SdkVersion
{
    /// <summary>"Major.Minor", as written in a plugin's manifest.</summary>
    public static string Text => $"{Major}.{Minor}";
}
