using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Plugins.Email.Tests.Infrastructure;

/// <summary>
/// Runs a plugin the way the host does: its entry class configures its own service collection (with what the host
/// hands every plugin, plus the sink as a host service), then every background service runs until <see cref="DisposeAsync"/>.
/// </summary>
internal sealed class PluginRunner : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];

    private PluginRunner(ServiceProvider provider, LogCollector logs)
    {
        _provider = provider;
        Logs = logs;
    }

    public LogCollector Logs { get; }

    public IReadOnlyList<IPluginHealthCheck> HealthChecks => _provider.GetServices<IPluginHealthCheck>().ToList();

    /// <summary>Configures and starts <typeparamref name="TPlugin"/> with <paramref name="settings"/> as its <c>Plugins:&lt;id&gt;</c> section.</summary>
    public static PluginRunner Start<TPlugin>(string pluginId, IDictionary<string, string?> settings, IInboundMailSink sink, string dataFolder)
        where TPlugin : IPlugin, new()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(p => $"Plugins:{pluginId}:{p.Key}", p => p.Value))
            .Build()
            .GetSection($"Plugins:{pluginId}");
        var context = new PluginContext(pluginId, AppContext.BaseDirectory, dataFolder, configuration);
        var logs = new LogCollector();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton(context);
        services.AddSingleton(sink);
        new TPlugin().ConfigureServices(services, context);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var runner = new PluginRunner(provider, logs);
        foreach (var service in provider.GetServices<IPluginBackgroundService>())
        {
            runner._running.Add(Task.Run(() => service.RunAsync(runner._stop.Token)));
        }

        return runner;
    }

    /// <summary>The worst health of the plugin's checks, with every description.</summary>
    public async Task<(PluginHealthStatus Status, string Description)> HealthAsync()
    {
        var results = await Task.WhenAll(HealthChecks.Select(c => c.CheckAsync(CancellationToken.None)));
        return (results.Min(r => r.Status), string.Join(" | ", results.Select(r => $"{r.Status}: {r.Description}")));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        // A background service ends when cancelled and never throws (the host would mark the plugin failed).
        await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(20));
        await _provider.DisposeAsync();
        _stop.Dispose();
    }
}

internal sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    public override string ToString() => string.Join('\n', _messages.TakeLast(40));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._messages.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " [" + exception.GetType().Name + ": " + exception.Message + "]")}");
    }
}
