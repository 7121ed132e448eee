using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Telephony;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Sdk.Testing;

/// <summary>
/// Loads one plugin the way the host does, without a host: calls <see cref="IPlugin.ConfigureServices"/> on a fresh
/// service collection that holds what the host gives every plugin (logging, <see cref="TimeProvider"/>, the plugin's
/// configuration section, its <see cref="PluginContext"/>, <see cref="IWebhookUrls"/>) plus recording stand-ins of
/// the host services (<see cref="IMonitoringAlertSink"/>, <see cref="ITelephonyService"/>,
/// <see cref="IInboundMailSink"/>, <see cref="ITicketingSink"/>), then builds the provider with the host's validation.
/// </summary>
/// <remarks>
/// The stand-ins keep the host's promises: they store each item once (a repeat is answered as a duplicate), honour
/// cancellation, validate alerts, and can be told to fail (<see cref="FailHostServices"/>) so a plugin's behaviour
/// when storage is unavailable can be checked. Dispose the harness to dispose the plugin's provider and delete its
/// temporary data folder.
/// </remarks>
public sealed class PluginHarness : IDisposable, IAsyncDisposable
{
    private readonly ServiceProvider provider;
    private readonly bool ownsDataFolder;

    private PluginHarness(IPlugin plugin, PluginHarnessOptions options)
    {
        PluginId = options.PluginId;
        ownsDataFolder = options.DataFolder is null;
        DataFolder = options.DataFolder ?? Path.Combine(Path.GetTempPath(), "sp-plugin-harness", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(DataFolder);
        var pluginFolder = options.PluginFolder ?? Path.GetDirectoryName(plugin.GetType().Assembly.Location) ?? AppContext.BaseDirectory;

        var root = new ConfigurationBuilder()
            .AddInMemoryCollection(options.Settings.Select(s => new KeyValuePair<string, string?>($"Plugins:{options.PluginId}:{s.Key}", s.Value)))
            .Build();
        var section = root.GetSection($"Plugins:{options.PluginId}");
        Context = new PluginContext(options.PluginId, pluginFolder, DataFolder, section);

        Alerts = new RecordingAlertSink();
        Telephony = new RecordingTelephonyService();
        Mail = new RecordingMailSink();
        Ticketing = new RecordingTicketingSink();
        Logs = new HarnessLog();
        Clock = options.TimeProvider ?? TimeProvider.System;
        Urls = new HarnessWebhookUrls(options.PublicUrl, options.PluginId);

        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton(Clock);
        services.AddSingleton<IConfiguration>(section);
        services.AddSingleton(Context);
        services.AddSingleton<IWebhookUrls>(Urls);
        if (options.OfferHostServices)
        {
            services.AddSingleton<IMonitoringAlertSink>(Alerts);
            services.AddSingleton<ITelephonyService>(Telephony);
            services.AddSingleton<IInboundMailSink>(Mail);
            services.AddSingleton<ITicketingSink>(Ticketing);
        }

        plugin.ConfigureServices(services, Context);
        provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>The plugin's id (its configuration section is <c>Plugins:&lt;id&gt;</c>).</summary>
    public string PluginId { get; }

    /// <summary>The context handed to <see cref="IPlugin.ConfigureServices"/>.</summary>
    public PluginContext Context { get; }

    /// <summary>The plugin's data folder (a temporary folder unless <see cref="PluginHarnessOptions.DataFolder"/> was set).</summary>
    public string DataFolder { get; }

    /// <summary>The plugin's own service provider, as the host would build it.</summary>
    public IServiceProvider Services => provider;

    /// <summary>The recording <see cref="IMonitoringAlertSink"/>: what a monitoring source submitted.</summary>
    public RecordingAlertSink Alerts { get; }

    /// <summary>The recording <see cref="ITelephonyService"/>: what a telephony adapter reported and asked.</summary>
    public RecordingTelephonyService Telephony { get; }

    /// <summary>The recording <see cref="IInboundMailSink"/>: what a mail adapter handed over.</summary>
    public RecordingMailSink Mail { get; }

    /// <summary>The recording <see cref="ITicketingSink"/>: the help desk tickets a ticketing plugin's webhook queued.</summary>
    public RecordingTicketingSink Ticketing { get; }

    /// <summary>Everything the plugin logged.</summary>
    public HarnessLog Logs { get; }

    /// <summary>The clock the plugin was given.</summary>
    public TimeProvider Clock { get; }

    /// <summary>The plugin's <see cref="IWebhookUrls"/>.</summary>
    public IWebhookUrls Urls { get; }

    /// <summary>Items stored by all recording host services together (alerts, call events, messages, queued help desk tickets).</summary>
    public int StoredCount => Alerts.Stored.Count + Telephony.Events.Count + Mail.Stored.Count + Ticketing.Queued.Count;

    /// <summary>The plugin's ticketing adapters.</summary>
    public IReadOnlyList<ITicketingAdapter> TicketingAdapters => [.. provider.GetServices<ITicketingAdapter>()];

    /// <summary>The plugin's webhook handler; throws, saying so, when it registers none or more than one.</summary>
    public IWebhookHandler WebhookHandler
    {
        get
        {
            var handlers = provider.GetServices<IWebhookHandler>().ToList();
            return handlers.Count == 1
                ? handlers[0]
                : throw new InvalidOperationException($"The plugin registers {handlers.Count} {nameof(IWebhookHandler)}s; the host requires exactly one to serve /hooks/{PluginId}/.");
        }
    }

    /// <summary>The plugin's health checks.</summary>
    public IReadOnlyList<IPluginHealthCheck> HealthChecks => [.. provider.GetServices<IPluginHealthCheck>()];

    /// <summary>The plugin's background services.</summary>
    public IReadOnlyList<IPluginBackgroundService> BackgroundServices => [.. provider.GetServices<IPluginBackgroundService>()];

    /// <summary>The plugin's monitoring acknowledgers.</summary>
    public IReadOnlyList<IMonitoringAcknowledger> Acknowledgers => [.. provider.GetServices<IMonitoringAcknowledger>()];

    /// <summary>Loads <paramref name="plugin"/> with the given options.</summary>
    /// <param name="plugin">A new instance of the plugin's entry class.</param>
    /// <param name="configure">Sets the plugin id, its settings and the like.</param>
    /// <returns>The harness; dispose it.</returns>
    public static PluginHarness Create(IPlugin plugin, Action<PluginHarnessOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        var options = new PluginHarnessOptions();
        configure?.Invoke(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.PluginId);
        return new PluginHarness(plugin, options);
    }

    /// <summary>Makes every recording host service throw (as storage that is down would) until set back to <see langword="false"/>.</summary>
    /// <param name="fail">Whether they fail.</param>
    public void FailHostServices(bool fail)
    {
        Alerts.Fail = fail;
        Telephony.Fail = fail;
        Mail.Fail = fail;
        Ticketing.Fail = fail;
    }

    /// <summary>Builds a request to <c>/hooks/&lt;id&gt;&lt;path&gt;</c> as the host would hand it to the plugin (form fields parsed for urlencoded bodies).</summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="path">The path below the plugin's hook root, starting with <c>/</c>, optionally with a query.</param>
    /// <param name="body">The raw body, or <see langword="null"/>.</param>
    /// <param name="contentType">The content type, or <see langword="null"/>.</param>
    /// <param name="headers">Extra headers, or <see langword="null"/>.</param>
    /// <returns>The request.</returns>
    public WebhookRequest CreateRequest(string method, string path, byte[]? body = null, string? contentType = null, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var query = "";
        var q = path.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = path[(q + 1)..];
            path = path[..q];
        }

        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        var headerMap = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers ?? [])
        {
            headerMap[name] = headerMap.TryGetValue(name, out var existing) ? [.. existing, value] : [value];
        }

        if (contentType is not null)
        {
            headerMap["Content-Type"] = [contentType];
        }

        body ??= [];
        var form = contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            ? ParseUrlEncoded(Encoding.UTF8.GetString(body))
            : new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        return new WebhookRequest
        {
            Method = method.ToUpperInvariant(),
            Path = path,
            PublicUrl = Urls.GetUrl(path.TrimStart('/') + (query.Length > 0 ? "?" + query : "")),
            Query = ParseUrlEncoded(query),
            Headers = headerMap,
            Form = form,
            ContentType = contentType,
            Body = body,
            RemoteAddress = "127.0.0.1",
            ReceivedAt = Clock.GetUtcNow(),
        };
    }

    /// <summary>A POST of a JSON body.</summary>
    /// <param name="path">The path below the plugin's hook root.</param>
    /// <param name="json">The JSON text.</param>
    /// <param name="headers">Extra headers, or <see langword="null"/>.</param>
    /// <returns>The request.</returns>
    public WebhookRequest PostJson(string path, string json, IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        CreateRequest("POST", path, Encoding.UTF8.GetBytes(json), "application/json", headers);

    /// <summary>A POST of form fields (<c>application/x-www-form-urlencoded</c>).</summary>
    /// <param name="path">The path below the plugin's hook root.</param>
    /// <param name="fields">The fields, in order.</param>
    /// <param name="headers">Extra headers, or <see langword="null"/>.</param>
    /// <returns>The request.</returns>
    public WebhookRequest PostForm(string path, IEnumerable<KeyValuePair<string, string>> fields, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var body = string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));
        return CreateRequest("POST", path, Encoding.UTF8.GetBytes(body), "application/x-www-form-urlencoded", headers);
    }

    /// <summary>Sends a request to the plugin's webhook handler.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Passed to the handler.</param>
    /// <returns>The handler's response.</returns>
    public Task<WebhookResponse> SendAsync(WebhookRequest request, CancellationToken cancellationToken = default) =>
        WebhookHandler.HandleAsync(request, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        provider.Dispose();
        DeleteDataFolder();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await provider.DisposeAsync().ConfigureAwait(false);
        DeleteDataFolder();
    }

    private void DeleteDataFolder()
    {
        if (ownsDataFolder && Directory.Exists(DataFolder))
        {
            try
            {
                Directory.Delete(DataFolder, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by the plugin; the temporary folder is left behind.
            }
        }
    }

    private static Dictionary<string, IReadOnlyList<string>> ParseUrlEncoded(string text)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            if (!result.TryGetValue(name, out var values))
            {
                result[name] = values = [];
            }

            values.Add(value);
        }

        return result.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
    }
}

/// <summary>How <see cref="PluginHarness.Create(IPlugin, Action{PluginHarnessOptions})"/> loads the plugin.</summary>
public sealed class PluginHarnessOptions
{
    /// <summary>The plugin id, as in its manifest (<c>PluginId</c> in the project). Default <c>plugin</c>.</summary>
    public string PluginId { get; set; } = "plugin";

    /// <summary>The plugin's settings, keys relative to <c>Plugins:&lt;id&gt;</c> (<c>token</c>, <c>mailboxes:0:host</c>).</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The host's public address (<c>SupportPlatform:PublicUrl</c>) that webhook URLs are built from. Default <c>https://support.example.test/</c>.</summary>
    public Uri PublicUrl { get; set; } = new("https://support.example.test/");

    /// <summary>The clock handed to the plugin; default the system clock (pass a <c>FakeTimeProvider</c> to control time).</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>The plugin's data folder; default a new temporary folder, deleted with the harness.</summary>
    public string? DataFolder { get; set; }

    /// <summary>The plugin folder reported in the context; default the folder of the plugin's assembly.</summary>
    public string? PluginFolder { get; set; }

    /// <summary>Whether the recording host services are offered (default <see langword="true"/>); <see langword="false"/> checks how a plugin fails without them.</summary>
    public bool OfferHostServices { get; set; } = true;
}

internal sealed class HarnessWebhookUrls(Uri publicUrl, string pluginId) : IWebhookUrls
{
    public bool IsConfigured => true;

    public Uri GetUrl(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var root = publicUrl.ToString().TrimEnd('/');
        return new Uri($"{root}/hooks/{pluginId}/{relativePath.TrimStart('/')}");
    }
}
