using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Monitoring.Alertmanager.Tests;

/// <summary>
/// The real Prometheus Alertmanager (Debian package prometheus-alertmanager, installed by scripts/test) on a loopback
/// port, with its own configuration and storage in a temporary folder and one route: every alert to the platform's
/// webhook with a bearer token, grouped per instance, quickly (group_wait 1s, group_interval 2s).
/// </summary>
internal sealed class AlertmanagerServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus-alertmanager";

    private readonly Process process;
    private readonly TempDirectory folder;
    private readonly StringBuilder output = new();

    private AlertmanagerServer(Process process, TempDirectory folder, int port)
    {
        this.process = process;
        this.folder = folder;
        Address = new Uri($"http://127.0.0.1:{port}/");
        Http = new HttpClient { BaseAddress = Address };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public static async Task<AlertmanagerServer> StartAsync(Uri webhook, string token)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install Debian's prometheus-alertmanager (scripts/test does).");
        var folder = new TempDirectory("sp-alertmanager-");
        var port = PlatformFactory.FreePort();
        var config = Path.Combine(folder.Path, "alertmanager.yml");
        await File.WriteAllTextAsync(config, $"""
            route:
              receiver: platform
              group_by: ['instance']
              group_wait: 1s
              group_interval: 2s
              repeat_interval: 1h
            receivers:
              - name: platform
                webhook_configs:
                  - url: '{webhook}'
                    send_resolved: true
                    http_config:
                      authorization:
                        credentials: '{token}'
            """);
        var info = new ProcessStartInfo(Binary)
        {
            ArgumentList =
            {
                "--config.file=" + config, "--storage.path=" + Path.Combine(folder.Path, "data"),
                $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = new Process { StartInfo = info };
        var server = new AlertmanagerServer(process, folder, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                if ((await server.Http.GetAsync("-/ready")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "Alertmanager did not start: " + server.Output);
            await Task.Delay(200);
        }
    }

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

    /// <summary>Posts alerts to Alertmanager's API, as Prometheus does.</summary>
    public async Task PostAlertsAsync(params object[] alerts) =>
        (await Http.PostAsJsonAsync("api/v2/alerts", alerts)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        folder.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
