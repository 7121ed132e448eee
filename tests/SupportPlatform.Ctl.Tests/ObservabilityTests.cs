using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using SupportPlatform.Observability;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Ctl.Tests;

/// <summary>
/// The scrape test runs the real host as a separate process: in one test process every host's OpenTelemetry meter
/// provider listens to the meters of every other in-process host of the same names (OpenTelemetry subscribes by meter
/// name, process-wide), so other test classes' hosts starting and stopping muddled what one host exported. One host
/// per process, as in production.
/// </summary>
public sealed class ObservabilityTests
{
    private const string ScrapeToken = "scrape-token-0123456789abcdef0123456789";
    private static readonly string Packaging = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "packaging"));

    [Fact]
    public async Task Metrics_TokenOrStaffOnly_AndEveryMetricTheAlertRulesUseIsExported()
    {
        using var data = new TempDirectory("sp-metrics-");
        var environment = HostProcess.Environment(data.Path);
        environment["SupportPlatform__Metrics__Token"] = ScrapeToken;
        await using var host = HostProcess.Start(environment);
        await host.WaitReadyAsync(TimeSpan.FromSeconds(120));

        using var anonymous = host.Users.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        using var wrong = host.Users.WithToken(ScrapeToken + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics")).StatusCode);
        using var client = await host.Users.CreateClientUserClientAsync(await EnsureAccount(host));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/metrics")).StatusCode);

        using var staff = await host.CreateStaffClientAsync("agent");
        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync("/metrics")).StatusCode);

        // Intake, a webhook to nowhere (counted as "unknown"), then the sampled queue.
        var created = await staff.PostAsJsonAsync("/api/tickets", new { accountId = "metrics", requesterId = "bob", subject = "Counted" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsync("/hooks/nosuch/x", new StringContent("{}"))).StatusCode);

        using var scraper = host.Users.WithToken(ScrapeToken);
        var watch = Stopwatch.StartNew();
        string text;
        do
        {
            text = await scraper.GetStringAsync("/metrics");
            if (text.Contains("supportplatform_queue_depth", StringComparison.Ordinal) && Regex.IsMatch(text, @"supportplatform_queue_depth\{[^}]*status=""new""[^}]*\} [1-9]"))
            {
                break;
            }

            await Task.Delay(500);
        }
        while (watch.Elapsed < TimeSpan.FromSeconds(30));

        Assert.True(Regex.IsMatch(text, @"supportplatform_tickets_created_total\{[^}]*channel=""[a-z]+""[^}]*\} 1"), text);
        Assert.True(Regex.IsMatch(text, @"supportplatform_queue_depth\{[^}]*status=""new""[^}]*\} 1"), text);
        Assert.Matches(@"supportplatform_webhooks_requests_total\{[^}]*outcome=""client-error""[^}]*plugin=""unknown""[^}]*\} 1|supportplatform_webhooks_requests_total\{[^}]*plugin=""unknown""[^}]*\} 1", text);

        // Every metric an alert rule uses exists: exported now, or (counters of rare events) a registered instrument.
        var rules = await File.ReadAllTextAsync(Path.Combine(Packaging, "prometheus", "supportplatform.rules.yml"));
        var instruments = RegisteredInstruments();
        foreach (var name in Regex.Matches(rules, @"supportplatform_[a-z_]+").Select(m => m.Value).Distinct())
        {
            var instrument = name.EndsWith("_total", StringComparison.Ordinal) ? name[..^6] : name.EndsWith("_seconds", StringComparison.Ordinal) ? name[..^8] : name;
            Assert.True(text.Contains(name, StringComparison.Ordinal) || instruments.Contains(instrument),
                $"The alert rules use {name}, which /metrics does not export and no instrument is named like.");
        }
    }

    [Fact]
    public void PrometheusSamples_PassPromtool()
    {
        using var folder = new TempDirectory("sp-promtool-");
        var tokenFile = Path.Combine(folder.Path, "token");
        File.WriteAllText(tokenFile, ScrapeToken);
        var config = File.ReadAllText(Path.Combine(Packaging, "prometheus", "prometheus.yml")).Replace("/etc/prometheus/supportplatform.token", tokenFile, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder.Path, "prometheus.yml"), config);
        File.Copy(Path.Combine(Packaging, "prometheus", "supportplatform.rules.yml"), Path.Combine(folder.Path, "supportplatform.rules.yml"));
        Assert.Equal(0, Run("promtool", folder.Path, "check", "config", "prometheus.yml"));
        Assert.Equal(0, Run("promtool", folder.Path, "check", "rules", "supportplatform.rules.yml"));
    }

    private static async Task<string> EnsureAccount(HostProcess host)
    {
        using var admin = host.Users.WithToken(await host.Users.AdminTokenAsync());
        var response = await admin.PutAsJsonAsync("/api/accounts/metrics", new { name = "Metrics", timeZone = "Europe/London" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return "metrics";
    }

    /// <summary>
    /// The names of the product's instruments, registered here in the test process by the real code: the
    /// Observability module's metrics (built by its own registrations, without a host) and the plugin runtime's.
    /// </summary>
    private static HashSet<string> RegisteredInstruments()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IDatabase, NoDatabase>();
        new ObservabilityModule().AddServices(services, new ConfigurationBuilder().Build(), new HostingEnvironment { EnvironmentName = Environments.Production });
        using var provider = services.BuildServiceProvider();
        _ = provider.GetServices<ITicketObserver>().ToList();
        var plugins = typeof(SupportPlatform.Plugins.Hosting.PluginInfo).Assembly.GetType("SupportPlatform.Plugins.Hosting.Runtime.PluginMetrics", throwOnError: true)!;
        RuntimeHelpers.RunClassConstructor(plugins.TypeHandle);

        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name.StartsWith("SupportPlatform.", StringComparison.Ordinal))
                {
                    lock (names)
                    {
                        names.Add(instrument.Name.Replace('.', '_'));
                    }
                }
            },
        };
        listener.Start();
        return names;
    }

    private sealed class NoDatabase : IDatabase
    {
        public DatabaseProvider Provider => DatabaseProvider.Sqlite;

        public Task<System.Data.Common.DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("no database in this test");
    }

    internal static int Run(string file, string folder, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {output.Result}{error}");
        return process.ExitCode;
    }
}
