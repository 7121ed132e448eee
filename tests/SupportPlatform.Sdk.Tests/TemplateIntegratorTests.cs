using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Sdk.Tests;

/// <summary>
/// A new integrator's first hour, for real: the packed SDK, kit and template in a local feed; `dotnet new install` in
/// an isolated CLI home; a plugin created from the template, its conformance tests run and its zip published against
/// that feed only (Microsoft packages from the machine's package folder and source); the zip installed into a real
/// host process, which serves its webhook.
/// </summary>
public sealed class TemplateIntegratorTests
{
    private const string Secret = "integrator-secret-0123456789abcdef";

    [Fact]
    public async Task Template_NewPluginTestedPublishedAndInstalled_HostServesItsWebhook()
    {
        var feed = Path.Combine(AppContext.BaseDirectory, "sdk-feed");
        var packages = Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).ToList();
        var version = $"{SdkVersion.Major}.{SdkVersion.Minor}.";
        Assert.Contains(packages, p => p!.StartsWith("SupportPlatform.Sdk." + version, StringComparison.Ordinal));
        Assert.Contains(packages, p => p!.StartsWith("SupportPlatform.Sdk.Testing." + version, StringComparison.Ordinal));
        var templatePackage = Path.Combine(feed, Assert.Single(packages, p => p!.StartsWith("SupportPlatform.Plugin.Templates.", StringComparison.Ordinal))!);

        // Outside the repository, so none of its Directory.Build.props or Directory.Packages.props applies.
        using var work = new TempDirectory();
        var home = Directory.CreateDirectory(Path.Combine(work.Path, "home")).FullName;
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(work.Path, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="supportplatform-local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="supportplatform-local"><package pattern="SupportPlatform.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        var env = new Dictionary<string, string>
        {
            ["DOTNET_CLI_HOME"] = home,
            ["HOME"] = home,
            // Its own package folder: the freshly packed SupportPlatform packages are never mixed with a cached copy.
            ["NUGET_PACKAGES"] = Path.Combine(work.Path, "packages"),
            // No network in tests: everything restores from the local feed and the machine's package folder (the
            // vulnerability audit is the one thing that would ask nuget.org).
            ["NuGetAudit"] = "false",
        };

        var watch = Stopwatch.StartNew();
        await DotnetAsync(work.Path, env, "new", "install", templatePackage);
        await DotnetAsync(work.Path, env, "new", "supportplatform-plugin", "-n", "Acme.Monitoring", "--pluginId", "acme-monitoring", "-o", "Acme.Monitoring");
        var solution = Path.Combine(work.Path, "Acme.Monitoring");
        Assert.True(File.Exists(Path.Combine(solution, "src", "Acme.Monitoring", "Acme.Monitoring.csproj")));

        // The generated conformance tests run (and pass) against the packed kit.
        var test = await DotnetAsync(solution, env, "test", "Acme.Monitoring.slnx", "-c", "Release", "--disable-build-servers");
        Assert.Contains("Passed!", test, StringComparison.Ordinal);
        Assert.Contains("Total:     3", test, StringComparison.Ordinal);

        await DotnetAsync(solution, env, "publish", "src/Acme.Monitoring/Acme.Monitoring.csproj", "-c", "Release", "--no-build");
        var zip = Path.Combine(solution, "src", "Acme.Monitoring", "bin", "Release", "net10.0", "acme-monitoring-0.1.0.zip");
        Assert.True(File.Exists(zip), $"dotnet publish wrote no {zip}");
        using (var archive = ZipFile.OpenRead(zip))
        {
            var names = archive.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("plugin.json", names);
            Assert.Contains("Acme.Monitoring.dll", names);
            Assert.DoesNotContain("SupportPlatform.Sdk.dll", names);
        }

        var built = watch.Elapsed;

        // Install: unzip into the host's plugins folder, start the host, send an alert to the plugin's webhook.
        using var data = new TempDirectory();
        ZipFile.ExtractToDirectory(zip, Path.Combine(data.Path, "plugins", "acme-monitoring"));
        var environment = HostProcess.Environment(data.Path);
        environment["Plugins__acme-monitoring__secret"] = Secret;
        await using var host = HostProcess.Start(environment);
        await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var admin = await host.CreateStaffClientAsync("admin");

        var plugin = await admin.GetFromJsonAsync<JsonElement>("/api/admin/plugins/acme-monitoring");
        Assert.True(plugin.GetProperty("status").GetString() == "loaded", $"plugin: {plugin}\n{host.Output}");
        Assert.Equal("0.1.0", plugin.GetProperty("version").GetString());

        (await admin.PutAsJsonAsync("/api/accounts/acme-int", new { name = "Acme Integrator", timeZone = "Europe/London" })).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync("/api/monitoring/systems/acme-web", new { accountId = "acme-int", hostNames = new[] { "acme-web01" } })).EnsureSuccessStatusCode();
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        const string alert = """{"id":"evt-42","system":"acme-web01","check":"disk","state":"critical","at":"2026-11-28T10:00:00Z","summary":"Disk / is full"}""";

        using var unauthenticated = await anonymous.PostAsync("/hooks/acme-monitoring/", new StringContent(alert, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);

        var first = await PostAlertAsync(anonymous, alert);
        var second = await PostAlertAsync(anonymous, alert);
        Assert.True(first.StatusCode == HttpStatusCode.OK, $"{first.StatusCode}: {first.Body}\n{host.Output}");
        Assert.Equal("""{"disposition":"accepted"}""", first.Body);
        Assert.Equal("""{"disposition":"duplicate"}""", second.Body);
        Assert.True(built < TimeSpan.FromMinutes(5), $"creating, testing and publishing took {built}");
    }

    private static async Task<(HttpStatusCode StatusCode, string Body)> PostAlertAsync(HttpClient client, string alert)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/acme-monitoring/") { Content = new StringContent(alert, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Runs the dotnet CLI as an integrator would, with a clean environment (no MSBuild state from this test run).</summary>
    private static async Task<string> DotnetAsync(string workingDirectory, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DOTNET_HOST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";
        info.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} took more than 5 minutes:\n{await stdout}\n{await stderr}");
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited with {process.ExitCode}:\n{output}");
        return output;
    }
}
