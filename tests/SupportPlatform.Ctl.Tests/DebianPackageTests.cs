using System.Diagnostics;
using SupportPlatform.Testing;

namespace SupportPlatform.Ctl.Tests;

/// <summary>
/// Builds the .deb from this build's host and supportctl, installs it with dpkg into a throwaway root (maintainer scripts
/// run chrootless and honour DPKG_ROOT), verifies the unit with systemd-analyze, upgrades it and removes it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DebianPackageTests
{
    private static readonly string Repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    [Fact]
    public void Deb_InstallUpgradeRemove_InThrowawayRoot()
    {
        using var work = new TempDirectory("sp-deb-");
        var hostBuild = Path.Combine(Repo, "host", "SupportPlatform.Host", "bin", "Release", "net10.0");
        var ctlBuild = Path.GetDirectoryName(typeof(CtlApp).Assembly.Location)!;
        // The host folder as scripts/package lays it out: the program, and every first-party plugin in plugins-available
        // (copied from the plugins' build output by the same script the package uses, instead of published: faster).
        var hostStage = Path.Combine(work.Path, "host");
        Directory.CreateDirectory(hostStage);
        Run("cp", Repo, "-a", hostBuild + "/.", hostStage);
        Run(Path.Combine(Repo, "packaging/publish-plugins.sh"), Repo, Path.Combine(hostStage, "plugins-available"), "0.0.1");
        hostBuild = hostStage;
        var v1 = Path.Combine(work.Path, "supportplatform_0.0.1_amd64.deb");
        var v2 = Path.Combine(work.Path, "supportplatform_0.1.0_amd64.deb");
        Run(Path.Combine(Repo, "packaging/deb/build-deb.sh"), Repo, hostBuild, ctlBuild, "0.0.1", v1);
        Run(Path.Combine(Repo, "packaging/deb/build-deb.sh"), Repo, hostBuild, ctlBuild, "0.1.0", v2);
        Assert.Contains("Package: supportplatform", Run("dpkg-deb", Repo, "--info", v1), StringComparison.Ordinal);

        var root = Path.Combine(work.Path, "root");
        foreach (var folder in new[] { "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "var/log", "etc", "lib/systemd/system" })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
        }

        File.WriteAllText(Path.Combine(root, "var/lib/dpkg/status"), string.Empty);
        File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        File.WriteAllText(Path.Combine(root, "etc/group"), "root:x:0:\n");
        File.WriteAllText(Path.Combine(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n");
        File.WriteAllText(Path.Combine(root, "etc/gshadow"), "root:*::\n");
        string[] dpkg = [$"--root={root}", "--force-script-chrootless", "--force-depends"];

        Run("dpkg", Repo, [.. dpkg, "-i", v1]);
        Assert.True(File.Exists(Path.Combine(root, "opt/supportplatform/SupportPlatform.Host.dll")));
        Assert.True(File.Exists(Path.Combine(root, "opt/supportplatform/supportctl/SupportPlatform.Ctl.dll")));
        Assert.True(File.GetUnixFileMode(Path.Combine(root, "usr/bin/supportctl")).HasFlag(UnixFileMode.UserExecute));

        // Every first-party plugin folder of the repository (all but the Sample) ships, each with its manifest and assembly.
        var plugins = Directory.GetDirectories(Path.Combine(Repo, "plugins"), "SupportPlatform.Plugins.*")
            .Select(Path.GetFileName).Where(n => n != "SupportPlatform.Plugins.Sample").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(plugins);
        var available = Path.Combine(root, "opt/supportplatform/plugins-available");
        Assert.Equal(plugins.Select(n => n!["SupportPlatform.Plugins.".Length..]), Directory.GetDirectories(available).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var plugin in plugins)
        {
            var folder = Path.Combine(available, plugin!["SupportPlatform.Plugins.".Length..]);
            Assert.True(File.Exists(Path.Combine(folder, "plugin.json")), $"{folder} has no plugin.json");
            Assert.True(File.Exists(Path.Combine(folder, plugin + ".dll")), $"{folder} has no {plugin}.dll");
            Assert.Contains("\"id\"", File.ReadAllText(Path.Combine(folder, "plugin.json")), StringComparison.Ordinal);
        }
        var user = File.ReadAllLines(Path.Combine(root, "etc/passwd")).Single(l => l.StartsWith("supportplatform:", StringComparison.Ordinal)).Split(':');
        Assert.Equal("/var/lib/supportplatform", user[5]);
        Assert.Equal("/usr/sbin/nologin", user[6]);
        var data = new DirectoryInfo(Path.Combine(root, "var/lib/supportplatform"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, data.UnixFileMode);
        Assert.Equal(user[2], Run("stat", Repo, "-c", "%u", data.FullName).Trim());
        Assert.Equal("640", Run("stat", Repo, "-c", "%a", Path.Combine(root, "etc/supportplatform/supportplatform.env")).Trim());
        Assert.Contains("/var/lib/supportplatform", File.ReadAllText(Path.Combine(root, "etc/supportplatform/appsettings.json")), StringComparison.Ordinal);

        // The unit, as systemd reads it inside that root (the targets it names come from this machine).
        var unit = File.ReadAllText(Path.Combine(root, "lib/systemd/system/supportplatform.service"));
        Assert.Contains("User=supportplatform", unit, StringComparison.Ordinal);
        Assert.Contains("ProtectSystem=strict", unit, StringComparison.Ordinal);
        Assert.Contains("StandardOutput=journal", unit, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles("/lib/systemd/system").Where(f => f.EndsWith(".target", StringComparison.Ordinal) || f.EndsWith(".slice", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(root, "lib/systemd/system", Path.GetFileName(file)), overwrite: true);
        }

        var verify = Run("systemd-analyze", Repo, "verify", $"--root={root}", "supportplatform.service");
        Assert.True(verify.Trim().Length == 0, $"systemd-analyze verify: {verify}");

        // The installed supportctl runs.
        Assert.Contains("backup", Run(Path.Combine(root, "opt/supportplatform/supportctl/SupportPlatform.Ctl"), Repo, "--help"), StringComparison.Ordinal);

        // Upgrade: the administrator's settings stay, the user is not created twice.
        var settings = Path.Combine(root, "etc/supportplatform/appsettings.json");
        File.WriteAllText(settings, File.ReadAllText(settings).Replace("http://0.0.0.0:5080", "http://0.0.0.0:8080", StringComparison.Ordinal));
        Run("dpkg", Repo, [.. dpkg, "-i", v2]);
        Assert.Equal("0.1.0", Run("dpkg-query", Repo, $"--admindir={root}/var/lib/dpkg", "-W", "-f=${Version}", "supportplatform"));
        Assert.Contains("http://0.0.0.0:8080", File.ReadAllText(settings), StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(Path.Combine(root, "etc/passwd")), l => l.StartsWith("supportplatform:", StringComparison.Ordinal));

        // Remove: the program goes, settings and data stay.
        Run("dpkg", Repo, [.. dpkg, "-r", "supportplatform"]);
        Assert.False(File.Exists(Path.Combine(root, "opt/supportplatform/SupportPlatform.Host.dll")));
        Assert.True(File.Exists(settings));
        Assert.True(data.Exists);
    }

    private static string Run(string file, string folder, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["SP_DEB_COMPRESSION"] = "none";
        start.Environment["SP_PLUGINS_FROM_BUILD"] = "Release";
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {output}{error.Result}");
        // dpkg's dependency warnings (the throwaway root has no libc6) are expected; systemd-analyze's are not.
        return file == "systemd-analyze" ? output + error.Result : output;
    }
}
