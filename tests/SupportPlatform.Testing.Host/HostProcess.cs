using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SupportPlatform.Testing.Host;

/// <summary>
/// The host as a real operating-system process (the built SupportPlatform.Host.dll run by `dotnet`), for tests
/// that need separate processes: a two-node cluster, a kill, a start-up that must fail.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private PlatformUsers? users;

    private HostProcess(Process process, int httpPort)
    {
        this.process = process;
        HttpPort = httpPort;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}");
    }

    public int HttpPort { get; }

    /// <summary>The operating-system process id (benchmarks read its CPU time and memory).</summary>
    public int ProcessId => process.Id;

    /// <summary>Whether the process has ended (crashed, or stopped).</summary>
    public bool HasExited => process.HasExited;

    /// <summary>The host process's CPU time so far (user and kernel); benchmarks report it per operation.</summary>
    public TimeSpan TotalProcessorTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Signed-in callers (see <see cref="PlatformUsers"/>); the host's environment must include <see cref="PlatformUsers.Settings"/>.</summary>
    public PlatformUsers Users => users ??= new PlatformUsers(() =>
        new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), UseCookies = true }) { BaseAddress = BaseAddress });

    /// <summary>A client with a new staff user's API token.</summary>
    public Task<HttpClient> CreateStaffClientAsync(string role = "admin", string? id = null, string? name = null) => Users.CreateStaffClientAsync(role, id, name);

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static HostProcess Start(IDictionary<string, string> environment, int? httpPort = null)
    {
        var port = httpPort ?? PlatformFactory.FreePort();
        var hostDll = Path.Combine(AppContext.BaseDirectory, "SupportPlatform.Host.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { hostDll, "--urls", $"http://127.0.0.1:{port}" },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new HostProcess(process, port);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public static Dictionary<string, string> Environment(string dataPath, string? postgres = null, int? siloPort = null, int? gatewayPort = null)
    {
        var env = new Dictionary<string, string>
        {
            ["SupportPlatform__DataPath"] = dataPath,
            ["SupportPlatform__Cluster__SiloPort"] = (siloPort ?? PlatformFactory.FreePort()).ToString(CultureInfo.InvariantCulture),
            ["SupportPlatform__Cluster__GatewayPort"] = (gatewayPort ?? PlatformFactory.FreePort()).ToString(CultureInfo.InvariantCulture),
            ["SupportPlatform__Cluster__ClusterId"] = "sp-process-tests",
            ["SupportPlatform__Cluster__ServiceId"] = "sp-process-tests",
        };
        if (postgres is not null)
        {
            env["SupportPlatform__Database__ConnectionString"] = postgres;
        }

        foreach (var (key, value) in PlatformUsers.Settings)
        {
            env[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return env;
    }

    /// <summary>Waits until /health/ready answers 200, or fails with the process output.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"host exited with {process.ExitCode} before it was ready:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync("/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"host not ready after {timeout}:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        process.WaitForExit(); // flushes the redirected output
        return process.ExitCode;
    }

    /// <summary>Like `kill -9`: no graceful shutdown at all.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    /// <summary>Graceful stop (SIGTERM), as systemd does.</summary>
    public async Task StopAsync()
    {
        if (process.HasExited)
        {
            return;
        }

        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        try
        {
            await WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
