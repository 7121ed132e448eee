namespace SupportPlatform.Core;

/// <summary>Names shared by the host and the modules.</summary>
public static class PlatformNames
{
    /// <summary>The grain storage provider every module's persistent state uses.</summary>
    public const string GrainStorage = "Default";

    /// <summary>Prefix of every first-party assembly.</summary>
    public const string AssemblyPrefix = "SupportPlatform.";
}
