namespace SupportPlatform.Sdk;

/// <summary>
/// The version of the plugin contract. A plugin loads when its major version equals the host's and
/// the host's minor version is at least the plugin's (minor versions only add to the contract).
/// </summary>
public static class SdkVersion
{
    /// <summary>Incremented on a breaking change to any contract in this assembly.</summary>
    public const int Major = 1;

    /// <summary>Incremented when contracts are added without breaking existing plugins.</summary>
    public const int Minor = 0;

    /// <summary>"Major.Minor", as written in a plugin's manifest.</summary>
    public static string Text => $"{Major}.{Minor}";
}
