using System.Collections;

namespace SupportPlatform.Ctl;

/// <summary>What the tool touches outside itself: output, environment, HTTP to the host. Tests substitute all three.</summary>
internal sealed class CtlConsole
{
    private readonly IReadOnlyDictionary<string, string> environment;
    private readonly Func<Uri, HttpClient> httpFactory;

    public CtlConsole(TextWriter output, TextWriter error, IReadOnlyDictionary<string, string> environment, Func<Uri, HttpClient> httpFactory, bool useSystemConfig)
    {
        Out = output;
        Error = error;
        this.environment = environment;
        this.httpFactory = httpFactory;
        UseSystemConfig = useSystemConfig;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Whether <see cref="CtlSettings.DefaultConfigFile"/> is read when no config file is named (off in tests).</summary>
    public bool UseSystemConfig { get; }

    public static CtlConsole System()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in global::System.Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return new CtlConsole(Console.Out, Console.Error, variables, url => new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(100) }, useSystemConfig: true);
    }

    public string? Environment(string name) => environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    public IEnumerable<KeyValuePair<string, string>> EnvironmentVariables() => environment;

    public HttpClient CreateHttpClient(Uri baseAddress) => httpFactory(baseAddress);

    /// <summary>A progress line on standard error (standard output stays for results).</summary>
    public void Progress(string message) => Error.WriteLine(message);
}
