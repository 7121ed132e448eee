using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SupportPlatform.Sdk.Testing;

/// <summary>One entry the plugin logged.</summary>
/// <param name="Category">The logger's category.</param>
/// <param name="Level">The level.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Exception">The exception logged with it, or <see langword="null"/>.</param>
public sealed record HarnessLogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

/// <summary>Keeps what the plugin logs, for assertions and failure messages.</summary>
public sealed class HarnessLog : ILoggerProvider
{
    private readonly ConcurrentQueue<HarnessLogEntry> entries = new();

    /// <summary>Every entry, in order.</summary>
    public IReadOnlyList<HarnessLogEntry> Entries => [.. entries];

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, entries.Select(e => $"{e.Level} {e.Category}: {e.Message}{(e.Exception is null ? "" : " " + e.Exception.Message)}"));

    private sealed class Logger(HarnessLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.entries.Enqueue(new HarnessLogEntry(category, logLevel, formatter(state, exception), exception));
    }
}
