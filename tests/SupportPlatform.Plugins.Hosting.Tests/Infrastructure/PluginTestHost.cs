using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SupportPlatform.Plugins.Hosting.Tests.Infrastructure;

/// <summary>A generic host wired exactly as the product host does it (AddSupportPlatformPlugins + AddPluginsHealthCheck).</summary>
internal sealed class PluginTestHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private PluginTestHost(IHost host, CollectingLoggerProvider logs)
    {
        _host = host;
        Logs = logs;
    }

    public CollectingLoggerProvider Logs { get; }

    public IServiceProvider Services => _host.Services;

    public IPluginRegistry Registry => _host.Services.GetRequiredService<IPluginRegistry>();

    public static async Task<PluginTestHost> StartAsync(
        ScratchPlugins plugins,
        IDictionary<string, string?>? configuration = null,
        Action<IServiceCollection>? configureServices = null,
        TimeSpan? healthCheckTimeout = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        var logs = new CollectingLoggerProvider();
        builder.Services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        builder.Services.AddSupportPlatformPlugins(options =>
        {
            options.PluginsPath = plugins.PluginsPath;
            options.PluginDataPath = plugins.DataPath;
            options.HealthCheckTimeout = healthCheckTimeout ?? TimeSpan.FromSeconds(5);
        });
        builder.Services.AddHealthChecks().AddPluginsHealthCheck();
        configureServices?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new PluginTestHost(host, logs);
    }

    public PluginInfo Plugin(string id) =>
        Registry.Find(id) ?? throw new Xunit.Sdk.XunitException($"No plugin '{id}'; found: {string.Join(", ", Registry.GetAll().Select(p => p.Id))}");

    public Task<HealthReport> CheckHealthAsync() => _host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    public async Task StopAsync()
    {
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _host.StopAsync();
        }

        _host.Dispose();
    }
}

internal sealed class CollectingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CollectingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._messages.Enqueue(formatter(state, exception));
    }
}

internal static class Eventually
{
    /// <summary>Waits for a condition that background work makes true, failing with <paramref name="what"/> after 30 s (generous: the whole suite runs its test projects at once on two cores).</summary>
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }
}
